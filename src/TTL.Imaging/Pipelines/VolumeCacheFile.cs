using System.Runtime.InteropServices;

namespace TTL.Imaging.Pipelines;

/// <summary>
/// The on-disk form of a cached sample: a small private format (magic, then per volume its
/// channels, shape, affine and raw little-endian float32 voxels) that loads with one read per
/// volume. Written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
internal static class VolumeCacheFile
{
    private static ReadOnlySpan<byte> Magic => "TTLVOL1\n"u8;

    public static void Write(string path, Sample s)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new BinaryWriter(f))
        {
            w.Write(Magic);
            w.Write(s.Label is null ? 1 : 2);
            WriteVolume(w, s.Image);
            if (s.Label is not null) WriteVolume(w, s.Label);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteVolume(BinaryWriter w, Volume v)
    {
        w.Write(v.Channels);
        foreach (var n in v.Shape) w.Write(n);
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) w.Write(v.Affine[r, c]);
        w.Write(MemoryMarshal.AsBytes(v.Data.AsSpan()));
    }

    /// <summary>Reads a cache entry; a damaged one (wrong magic, short) returns null so it is recomputed.</summary>
    public static Sample? TryRead(string path, string id)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read);
            using var r = new BinaryReader(f);
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) return null;
            int count = r.ReadInt32();
            if (count is < 1 or > 2) return null;
            var image = ReadVolume(r, f.Length);
            var label = count == 2 ? ReadVolume(r, f.Length) : null;
            return image is null || (count == 2 && label is null) ? null : new Sample(image, label, id);
        }
        catch (EndOfStreamException) { return null; }
        catch (FileNotFoundException) { return null; }
    }

    private static Volume? ReadVolume(BinaryReader r, long fileLength)
    {
        int channels = r.ReadInt32();
        int[] shape = [r.ReadInt32(), r.ReadInt32(), r.ReadInt32()];
        var affine = new double[4, 4];
        for (int i = 0; i < 4; i++) for (int c = 0; c < 4; c++) affine[i, c] = r.ReadDouble();
        long n = (long)channels * shape[0] * shape[1] * shape[2];
        if (channels < 1 || shape.Any(x => x < 1) || n * 4 > fileLength - r.BaseStream.Position) return null;
        var data = new float[n];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        return new Volume(data, channels, shape, affine);
    }
}
