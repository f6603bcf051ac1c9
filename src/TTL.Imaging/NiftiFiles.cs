using System.IO.Compression;

namespace TTL.Imaging;

/// <summary>
/// How a NIfTI path maps to files on disk: a single <c>.nii</c> or a <c>.hdr</c>/<c>.img</c> pair,
/// each optionally gzipped; and opening them for streaming reads.
/// </summary>
public static class NiftiFiles
{
    /// <summary>Whether the name ends as a header/image pair (.hdr, .img, optionally .gz).</summary>
    public static bool IsPairName(string path)
    {
        string p = StripGz(path);
        return p.EndsWith(".hdr", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".img", StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsGzName(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The header file and the image file (equal for a single .nii) of a path.</summary>
    public static (string Header, string Image) Resolve(string path)
    {
        if (!IsPairName(path)) return (path, path);
        string stem = StripGz(path);
        stem = stem[..^4];
        string hdr = FirstExisting(stem + ".hdr", stem + ".hdr.gz", path);
        string img = FirstExisting(stem + ".img", stem + ".img.gz", stem + ".img");
        return (hdr, img);
    }

    /// <summary>The pair file names to write for an output path (gzip applies to both when the name ends in .gz).</summary>
    public static (string Header, string Image) PairNames(string path)
    {
        bool gz = IsGzName(path);
        string stem = StripGz(path)[..^4];
        string suffix = gz ? ".gz" : "";
        return (stem + ".hdr" + suffix, stem + ".img" + suffix);
    }

    private static string StripGz(string path) => IsGzName(path) ? path[..^3] : path;

    private static string FirstExisting(string a, string b, string fallback) => File.Exists(a) ? a : File.Exists(b) ? b : fallback;

    /// <summary>
    /// Opens a file for sequential reading, inflating it when its first bytes are the gzip magic
    /// (by content, not by name, so a misnamed file still reads). Missing files raise
    /// <see cref="FileNotFoundException"/> naming the file.
    /// </summary>
    public static Stream OpenRead(string path, out bool gzip, out long fileLength)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{Path.GetFileName(path)}: file not found", Path.GetFileName(path));
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        fileLength = fs.Length;
        Span<byte> magic = stackalloc byte[2];
        int n = fs.Read(magic);
        fs.Position = 0;
        gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        return gzip ? new GZipStream(fs, CompressionMode.Decompress, leaveOpen: false) : fs;
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from the stream; a stream that ends early or a corrupt gzip
    /// stream becomes <see cref="InvalidDataException"/> naming the file and what was being read.
    /// Returns normally only when every byte arrived.
    /// </summary>
    public static void ReadExactly(Stream s, Span<byte> buffer, string name, string what, long expectedTotal, long doneBefore)
    {
        int got = 0;
        try
        {
            while (got < buffer.Length)
            {
                int n = s.Read(buffer[got..]);
                if (n == 0) break;
                got += n;
            }
        }
        catch (InvalidDataException ex)
        {
            throw NiftiHeader.Bad(name, $"gzip stream is corrupt ({ex.Message.TrimEnd('.')})");
        }
        if (got < buffer.Length)
            throw NiftiHeader.Bad(name, $"{what}: file ends after {doneBefore + got} of {expectedTotal} bytes");
    }

    /// <summary>Moves the stream forward by <paramref name="count"/> bytes by reading (gzip streams cannot seek).</summary>
    public static void Skip(Stream s, long count, string name, string what)
    {
        if (count <= 0) return;
        if (s.CanSeek)
        {
            if (s.Position + count > s.Length) throw NiftiHeader.Bad(name, $"{what}: past the end of the {s.Length}-byte file");
            s.Position += count;
            return;
        }
        var buf = new byte[(int)Math.Min(count, 1 << 16)];
        long left = count;
        while (left > 0)
        {
            int n = (int)Math.Min(left, buf.Length);
            ReadExactly(s, buf.AsSpan(0, n), name, what, count, count - left);
            left -= n;
        }
    }
}
