using TTL.Cuda;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;
using TTL.Cuda.Statistics;
using TTL.Imaging.Intensity;

namespace TTL.Imaging.Cuda;

/// <summary>
/// <see cref="IntensityOps"/>, <see cref="Moments"/>, <see cref="Percentile"/> and
/// <see cref="CtNormalization"/> on the GPU (intensity.cu, percentile.cu), in place on a
/// contiguous volume, with the CPU's definitions; plus Gaussian noise from Philox4x32-10 (noise.cu).
/// </summary>
public static class GpuIntensity
{
    /// <summary>The map of <see cref="IntensityOps.ScaleRange"/>, for <see cref="Apply"/> or fused into a resample.</summary>
    public static IntensityMap ScaleRangeMap(double aMin, double aMax, double bMin, double bMax, bool clip)
    {
        var (scale, shift, lo, hi) = IntensityOps.ScaleRangeCoefficients(aMin, aMax, bMin, bMax);
        var m = IntensityMap.Linear(scale, shift);
        return clip ? m.Clamped(lo, hi) : m;
    }

    /// <summary>The map of <see cref="IntensityOps.Window"/>: level/width to [0, 1].</summary>
    public static IntensityMap WindowMap(CtWindow window) => ScaleRangeMap(window.Lower, window.Upper, 0, 1, clip: true);

    /// <summary>The map of <see cref="IntensityOps.Clip"/>.</summary>
    public static IntensityMap ClipMap(float lo, float hi)
    {
        if (lo > hi) throw new ArgumentException($"clip range [{lo}, {hi}] is empty");
        return IntensityMap.None.Clamped(lo, hi);
    }

    public static void Apply(GpuVolume v, IntensityMap map)
    {
        uint n = Contiguous(v);
        v.Gpu.Launch(KernelCalls.IntensityMapInPlace(v.Data, n, map), (n + 3) / 4);
    }

    public static void ScaleRange(GpuVolume v, double aMin, double aMax, double bMin, double bMax, bool clip) => Apply(v, ScaleRangeMap(aMin, aMax, bMin, bMax, clip));

    public static void Window(GpuVolume v, CtWindow window) => Apply(v, WindowMap(window));

    public static void Clip(GpuVolume v, float lo, float hi) => Apply(v, ClipMap(lo, hi));

    /// <summary>
    /// (mean, population std, count) of the whole volume or of each channel, over all voxels or the
    /// nonzero ones, as <see cref="Moments.Of"/> / <see cref="Moments.OfNonzero"/> (NaN when empty).
    /// </summary>
    public static (double Mean, double Std, long Count)[] Statistics(GpuVolume v, bool nonzero = false, bool channelWise = false)
    {
        using var stats = StatisticsOnDevice(v, nonzero, channelWise, out _);
        var s = stats.ToArray(v.Gpu.Stream);
        var result = new (double, double, long)[s.Length / 3];
        for (int i = 0; i < result.Length; i++) result[i] = (s[3 * i + 1], s[3 * i + 2], (long)s[3 * i]);
        return result;
    }

    /// <summary>Z-score normalisation as <see cref="IntensityOps.ZScore"/>; the statistics never leave the device.</summary>
    public static void ZScore(GpuVolume v, bool nonzero = false, bool channelWise = false)
    {
        using var stats = StatisticsOnDevice(v, nonzero, channelWise, out uint length);
        int segments = channelWise ? v.Channels : 1;
        v.Gpu.Launch(KernelCalls.ZScoreApply(v.Data, length, stats.Ptr, nonzero), length, gridY: (uint)segments);
    }

    private static DeviceBuffer<double> StatisticsOnDevice(GpuVolume v, bool nonzero, bool channelWise, out uint length)
    {
        uint n = Contiguous(v);
        int segments = channelWise ? v.Channels : 1;
        length = (uint)(n / segments);
        var gpu = v.Gpu;
        var probe = KernelCalls.MomentsPartial(v.Data, length, nonzero, DevicePtr.Null);
        uint parts = gpu.GridFor(probe, (length + 3) / 4);
        using var partial = gpu.Alloc<MomentSummary>((long)parts * segments);
        gpu.Launch(KernelCalls.MomentsPartial(v.Data, length, nonzero, partial.Ptr), new Dim3(parts, (uint)segments));
        var stats = gpu.Alloc<double>(3L * segments);
        try
        {
            gpu.Launch(KernelCalls.MomentsFinish(partial.Ptr, parts, stats.Ptr), new Dim3((uint)segments));
        }
        catch
        {
            stats.Dispose(); // the caller only disposes what it receives
            throw;
        }
        return stats;
    }

    /// <summary>Percentiles of all voxels with NumPy's linear rule, as <see cref="Percentile.Of(ReadOnlySpan{float}, double[])"/>: exact order statistics by radix selection.</summary>
    public static double[] Percentiles(GpuVolume v, double[] qs)
    {
        uint n = Contiguous(v);
        Percentile.Check(n, qs);
        var gpu = v.Gpu;
        using var hist = gpu.Alloc<uint>(RadixSelect.MaxQueries * 2048);
        using var nans = gpu.Alloc<uint>(1);
        bool first = true;
        var counts = new uint[RadixSelect.MaxQueries * 2048];
        var nanCount = new uint[1];
        uint[][] Histogram(RadixQuery q)
        {
            var pass = Pass(q);
            int bins = 1 << q.Bits;
            hist.Clear(gpu.Stream);
            if (first) nans.Clear(gpu.Stream);
            gpu.Launch(KernelCalls.RadixHistogram(v.Data, n, pass, hist.Ptr, first ? nans.Ptr : DevicePtr.Null), n);
            hist.Download(counts.AsSpan(0, q.Prefixes.Length * bins), gpu.Stream);
            if (first) nans.Download(nanCount, gpu.Stream);
            first = false;
            if (nanCount[0] > 0) throw new NaNFound();
            return Enumerable.Range(0, q.Prefixes.Length).Select(i => counts.AsSpan(i * bins, bins).ToArray()).ToArray();
        }
        try
        {
            return Percentile.Interpolate(n, qs, ranks =>
            {
                var values = new double[ranks.Length];
                for (int at = 0; at < ranks.Length; at += RadixSelect.MaxQueries)
                {
                    var batch = ranks.Skip(at).Take(RadixSelect.MaxQueries).ToArray();
                    var found = RadixSelect.Select(n, batch, Histogram);
                    for (int i = 0; i < batch.Length; i++) values[at + i] = found[i];
                }
                return values;
            });
        }
        catch (NaNFound)
        {
            return qs.Select(_ => double.NaN).ToArray();
        }
    }

    /// <summary>Clips to the data's own percentiles, as <see cref="IntensityOps.PercentileClip"/>.</summary>
    public static void PercentileClip(GpuVolume v, double lowerPercentile, double upperPercentile)
    {
        var p = Percentiles(v, [lowerPercentile, upperPercentile]);
        Clip(v, (float)p[0], (float)p[1]);
    }

    /// <summary>nnU-Net's CT normalisation as <see cref="CtNormalization.Apply"/>: clip, then (x − mean)/max(std, 1e-8).</summary>
    public static void CtNormalize(GpuVolume v, CtNormalization n)
    {
        Clip(v, (float)n.Lower, (float)n.Upper);
        uint count = Contiguous(v);
        using var stats = v.Gpu.Upload<double>([1, n.Mean, Math.Max(n.Std, 1e-8)]);
        v.Gpu.Launch(KernelCalls.ZScoreApply(v.Data, count, stats.Ptr, nonzero: false), count);
    }

    /// <summary>
    /// Adds N(mean, std²) noise from Philox4x32-10 keyed by <paramref name="seed"/>, sub-stream
    /// <paramref name="stream"/> (a sample index, say). The values equal
    /// <see cref="TTL.Cuda.Random.Philox4x32.AddNoise"/> on the CPU, not the CPU augmentation's
    /// <see cref="Augmentation.IntensityAugment.GaussianNoise"/>, which draws from System.Random.
    /// </summary>
    public static void GaussianNoise(GpuVolume v, float mean, float std, ulong seed, uint stream = 0)
    {
        uint n = Contiguous(v);
        v.Gpu.Launch(KernelCalls.GaussianNoise(v.Data, n, seed, stream, mean, std), (n + 3) / 4);
    }

    private static unsafe RadixPass Pass(RadixQuery q)
    {
        var p = new RadixPass { Queries = q.Prefixes.Length, Shift = q.Shift, Bits = q.Bits };
        for (int i = 0; i < q.Prefixes.Length; i++)
        {
            p.Prefix[i] = q.Prefixes[i];
            p.Mask[i] = q.Masks[i];
        }
        return p;
    }

    private static uint Contiguous(GpuVolume v)
    {
        if (!v.IsContiguous) throw new ArgumentException("in-place intensity operations take a contiguous volume (GpuLayout.Contiguous makes one)");
        return (uint)(v.Channels * v.VoxelCount);
    }

    private sealed class NaNFound : Exception;
}
