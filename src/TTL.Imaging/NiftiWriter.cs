using System.IO.Compression;

namespace TTL.Imaging;

/// <summary>
/// Writes NIfTI files: NIfTI-1 unless a dimension exceeds 32767 (then NIfTI-2); <c>.nii</c>,
/// <c>.nii.gz</c>, or a <c>.hdr</c>/<c>.img</c> pair (gzipped when the name ends in .gz).
/// Both qform and sform are written from the affine. Every file goes to a temporary name in the
/// target folder and is renamed into place only when complete, so a failure leaves nothing behind.
/// </summary>
public static class NiftiWriter
{
    private const int ChunkBytes = 8 << 20;

    /// <summary>
    /// Writes a float volume in <c>options.DataType</c>. The source header (if any) supplies
    /// transform codes, units, intent and description; codes the source left unset become 2 (aligned).
    /// </summary>
    public static void Write(Volume v, string path, NiftiWriteOptions? options = null)
    {
        options ??= NiftiWriteOptions.Default;
        var header = HeaderFor(v, options.DataType, path);
        var shape = v.Shape;
        long planeBytes = (long)shape[0] * shape[1] * NiftiDataTypes.BytesPerVoxel(options.DataType);
        long planes = (long)shape[2] * v.Channels;
        int chunkPlanes = (int)Math.Clamp(ChunkBytes / Math.Max(1, planeBytes), 1, planes);
        WriteFiles(header, path, options.CompressionLevel, s =>
        {
            var buf = new byte[chunkPlanes * planeBytes];
            for (long p = 0; p < planes; p += chunkPlanes)
            {
                int n = (int)Math.Min(chunkPlanes, planes - p);
                VoxelCodec.EncodePlanes(v.Data, shape, p, n, buf, options.DataType, options.Threads);
                s.Write(buf, 0, (int)(n * planeBytes));
            }
        });
    }

    /// <summary>Writes stored values unchanged with their header (scaling and transforms kept as they are).</summary>
    public static void Write(NiftiImage img, string path, int compressionLevel = 6)
    {
        var h = img.Header;
        int version = NeedsNifti2(h.Dim) ? 2 : 1;
        bool pair = NiftiFiles.IsPairName(path);
        var header = h with { Version = version, IsPair = pair, VoxOffset = pair ? 0 : SingleOffset(version), BigEndian = false };
        WriteFiles(header, path, compressionLevel, s =>
        {
            for (long at = 0; at < img.Data.LongLength; at += ChunkBytes)
                s.Write(img.Data, (int)at, (int)Math.Min(ChunkBytes, img.Data.LongLength - at));
        });
    }

    /// <summary>The header a float volume is written with.</summary>
    public static NiftiHeader HeaderFor(Volume v, NiftiDataType type, string path)
    {
        if (!NiftiDataTypes.IsSupported(type) || type == NiftiDataType.Rgb24)
            throw new ArgumentException($"cannot write a float volume as {NiftiDataTypes.Name(type)}", nameof(type));
        var template = v.Header ?? new NiftiHeader { XyztUnits = 2 };
        var shape = new List<long> { v.I, v.J, v.K };
        if (v.Channels > 1)
        {
            // Keep the source's extra dimensions (e.g. 5D) when they still describe the channels.
            if (template.Ndim > 3 && template.ExtraCount == v.Channels) shape.AddRange(template.Shape[3..]);
            else shape.Add(v.Channels);
        }
        int scode = template.SFormCode != 0 ? template.SFormCode : template.QFormCode != 0 ? template.QFormCode : 2;
        int qcode = template.QFormCode != 0 ? template.QFormCode : scode;
        var dims = shape.ToArray();
        int version = NeedsNifti2([dims.Length, .. dims]) ? 2 : 1;
        bool pair = NiftiFiles.IsPairName(path);
        return template.WithShape(dims).WithDataType(type).WithQForm(v.Affine, qcode).WithSForm(v.Affine, scode) with
        {
            Version = version,
            IsPair = pair,
            BigEndian = false,
            VoxOffset = pair ? 0 : SingleOffset(version),
            SclSlope = 1,
            SclInter = 0,
            // Display range of the source values may not hold after processing.
            CalMin = 0,
            CalMax = 0,
        };
    }

    private static bool NeedsNifti2(ReadOnlySpan<long> dim)
    {
        foreach (long d in dim) if (d > short.MaxValue) return true;
        return false;
    }

    /// <summary>Header plus the 4-byte extension flag (no extensions follow).</summary>
    private static long SingleOffset(int version) => (version == 2 ? NiftiHeader.Nifti2Size : NiftiHeader.Nifti1Size) + 4;

    private static void WriteFiles(NiftiHeader header, string path, int level, Action<Stream> writeData)
    {
        if (level is < 1 or > 9) throw new ArgumentOutOfRangeException(nameof(level), level, "compression level must be 1..9");
        var bytes = header.ToBytes(header.Version);
        if (!header.IsPair)
        {
            Atomic(path, level, s =>
            {
                s.Write(bytes);
                s.Write(new byte[4]);
                writeData(s);
            });
            return;
        }
        var (hdr, img) = NiftiFiles.PairNames(path);
        string imgTemp = TempName(img);
        try
        {
            WriteTo(imgTemp, NiftiFiles.IsGzName(img), level, writeData);
            Atomic(hdr, level, s => s.Write(bytes));
            File.Move(imgTemp, img, overwrite: true);
        }
        finally
        {
            TryDelete(imgTemp);
        }
    }

    private static void Atomic(string path, int level, Action<Stream> write)
    {
        string temp = TempName(path);
        try
        {
            WriteTo(temp, NiftiFiles.IsGzName(path), level, write);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    private static void WriteTo(string path, bool gzip, int level, Action<Stream> write)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        if (gzip)
        {
            using var gz = new GZipStream(fs, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true);
            write(gz);
        }
        else
        {
            write(fs);
        }
        fs.Flush(flushToDisk: false);
    }

    private static string TempName(string path)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Path.Combine(dir, "." + Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
