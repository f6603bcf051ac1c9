using System.Numerics.Tensors;
using TTL.Imaging.Compute;

namespace TTL.Imaging.Intensity;

/// <summary>
/// Mean and population standard deviation (ddof = 0, as NumPy's default) of float32 voxels,
/// accumulated in double. Blocks have a fixed size, not one per thread, so the result does not
/// depend on the thread count.
/// </summary>
public static class Moments
{
    private const int Block = 1 << 15;

    public static (double Mean, double Std, long Count) Of(float[] values, int offset, int length)
    {
        if (length == 0) return (double.NaN, double.NaN, 0);
        int blocks = (length + Block - 1) / Block;
        var sums = new double[blocks];
        Parallelism.ForSlabs(blocks, 4, (from, to) =>
        {
            for (long b = from; b < to; b++)
                sums[b] = TensorPrimitives.Sum(Slice(values, offset, length, b)) + 0.0;
        });
        // Block sums in float lose ~1e-7 relative per block; the second pass around the mean makes
        // the variance insensitive to that, and the mean is corrected by the residual sum.
        double mean = Sum(sums) / length;
        var sq = new double[blocks];
        var res = new double[blocks];
        Parallelism.ForSlabs(blocks, 4, (from, to) =>
        {
            for (long b = from; b < to; b++)
            {
                var s = Slice(values, offset, length, b);
                double acc = 0, r = 0;
                foreach (var v in s)
                {
                    double d = v - mean;
                    r += d;
                    acc += d * d;
                }
                sq[b] = acc;
                res[b] = r;
            }
        });
        double resid = Sum(res) / length;
        double variance = Math.Max(0, Sum(sq) / length - resid * resid);
        return (mean + resid, Math.Sqrt(variance), length);
    }

    /// <summary>Mean and std of the voxels that are not zero (MONAI's <c>nonzero=True</c>).</summary>
    public static (double Mean, double Std, long Count) OfNonzero(float[] values, int offset, int length)
    {
        int blocks = (length + Block - 1) / Block;
        var sums = new double[blocks];
        var counts = new long[blocks];
        Parallelism.ForSlabs(blocks, 4, (from, to) =>
        {
            for (long b = from; b < to; b++)
            {
                double acc = 0;
                long n = 0;
                foreach (var v in Slice(values, offset, length, b))
                    if (v != 0) { acc += v; n++; }
                sums[b] = acc;
                counts[b] = n;
            }
        });
        long count = 0;
        foreach (var c in counts) count += c;
        if (count == 0) return (double.NaN, double.NaN, 0);
        double mean = Sum(sums) / count;
        var sq = new double[blocks];
        Parallelism.ForSlabs(blocks, 4, (from, to) =>
        {
            for (long b = from; b < to; b++)
            {
                double acc = 0;
                foreach (var v in Slice(values, offset, length, b))
                    if (v != 0) { double d = v - mean; acc += d * d; }
                sq[b] = acc;
            }
        });
        return (mean, Math.Sqrt(Sum(sq) / count), count);
    }

    private static ReadOnlySpan<float> Slice(float[] values, int offset, int length, long block)
    {
        int start = (int)(block * Block);
        return values.AsSpan(offset + start, Math.Min(Block, length - start));
    }

    private static double Sum(double[] parts)
    {
        double s = 0;
        foreach (var p in parts) s += p;
        return s;
    }
}
