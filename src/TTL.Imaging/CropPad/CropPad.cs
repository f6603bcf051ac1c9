using TTL.Imaging.Compute;
using TTL.Imaging.Resampling;

namespace TTL.Imaging.CropPad;

/// <summary>
/// Cropping and padding as one operation: take the box [start, start + size) of the grid, where
/// the box may reach outside the volume (those voxels get the pad value). The affine moves with the
/// box, so the world position of every kept voxel is unchanged.
/// </summary>
public static class CropPad
{
    public static Volume Region(Volume v, int[] start, int[] size, float padValue = 0f)
    {
        if (start.Length != 3 || size.Length != 3 || size.Any(s => s < 1)) throw new ArgumentException("box needs 3 starts and 3 positive sizes");
        int n0 = v.I, n1 = v.J, n2 = v.K, s0 = size[0], s1 = size[1], s2 = size[2];
        var data = new float[(long)v.Channels * s0 * s1 * s2];
        // Source k-range overlapping the box is the same for every row.
        int kFrom = Math.Max(0, start[2]), kTo = Math.Min(n2, start[2] + s2);
        Parallelism.ForSlabs((long)v.Channels * s0, 1, (from, to) =>
        {
            for (long ci = from; ci < to; ci++)
            {
                int c = (int)(ci / s0), i = (int)(ci % s0);
                int si = start[0] + i;
                for (int j = 0; j < s1; j++)
                {
                    int sj = start[1] + j;
                    var dst = data.AsSpan((int)(((ci) * s1 + j) * s2), s2);
                    if (si < 0 || si >= n0 || sj < 0 || sj >= n1 || kFrom >= kTo) { dst.Fill(padValue); continue; }
                    var src = v.Data.AsSpan((int)((((long)c * n0 + si) * n1 + sj) * n2 + kFrom), kTo - kFrom);
                    int at = kFrom - start[2];
                    dst.Slice(0, at).Fill(padValue);
                    src.CopyTo(dst.Slice(at));
                    dst.Slice(at + src.Length).Fill(padValue);
                }
            }
        });
        return new Volume(data, v.Channels, size, GridMath.Shifted(v.Affine, start[0], start[1], start[2]));
    }

    /// <summary>
    /// Bounding box of the voxels whose value is &gt; <paramref name="threshold"/> in any channel,
    /// grown by <paramref name="margin"/> voxels per side and kept inside the volume; null when no
    /// voxel passes.
    /// </summary>
    public static (int[] Start, int[] Size)? ForegroundBox(Volume v, float threshold, int[] margin)
    {
        int n0 = v.I, n1 = v.J, n2 = v.K;
        var lo = new[] { int.MaxValue, int.MaxValue, int.MaxValue };
        var hi = new[] { -1, -1, -1 };
        var gate = new object();
        Parallelism.ForSlabs(n0, 1, (from, to) =>
        {
            int[] l = [int.MaxValue, int.MaxValue, int.MaxValue], h = [-1, -1, -1];
            for (int c = 0; c < v.Channels; c++)
                for (int i = (int)from; i < to; i++)
                    for (int j = 0; j < n1; j++)
                    {
                        var row = v.Data.AsSpan((int)((((long)c * n0 + i) * n1 + j) * n2), n2);
                        int first = -1, last = -1;
                        for (int k = 0; k < n2; k++) if (row[k] > threshold) { first = k; break; }
                        if (first < 0) continue;
                        for (int k = n2 - 1; k >= first; k--) if (row[k] > threshold) { last = k; break; }
                        l[0] = Math.Min(l[0], i); h[0] = Math.Max(h[0], i);
                        l[1] = Math.Min(l[1], j); h[1] = Math.Max(h[1], j);
                        l[2] = Math.Min(l[2], first); h[2] = Math.Max(h[2], last);
                    }
            lock (gate)
                for (int a = 0; a < 3; a++) { lo[a] = Math.Min(lo[a], l[a]); hi[a] = Math.Max(hi[a], h[a]); }
        });
        if (hi[0] < 0) return null;
        var start = new int[3];
        var size = new int[3];
        for (int a = 0; a < 3; a++)
        {
            start[a] = Math.Max(0, lo[a] - margin[a]);
            size[a] = Math.Min(v.Shape[a] - 1, hi[a] + margin[a]) - start[a] + 1;
        }
        return (start, size);
    }

    /// <summary>
    /// Start of a box of <paramref name="size"/> centred on a grid of <paramref name="shape"/>:
    /// a crop removes ⌊(n − size)/2⌋ voxels before, a pad adds ⌊(size − n)/2⌋ before (the odd
    /// voxel goes after, as MONAI's symmetric SpatialPad).
    /// </summary>
    public static int[] CenteredStart(int[] shape, int[] size)
    {
        var start = new int[3];
        for (int a = 0; a < 3; a++) start[a] = shape[a] >= size[a] ? (shape[a] - size[a]) / 2 : -((size[a] - shape[a]) / 2);
        return start;
    }

    public static Volume CenterCropOrPad(Volume v, int[] size, float padValue = 0f) => Region(v, CenteredStart(v.Shape, size), size, padValue);

    /// <summary>Size that pads each axis up to the next multiple of <paramref name="multiple"/> (never crops).</summary>
    public static int[] PaddedToMultiple(int[] shape, int[] multiple)
    {
        var size = new int[3];
        for (int a = 0; a < 3; a++)
        {
            if (multiple[a] < 1) throw new ArgumentException($"multiple {multiple[a]} must be >= 1");
            size[a] = (shape[a] + multiple[a] - 1) / multiple[a] * multiple[a];
        }
        return size;
    }
}
