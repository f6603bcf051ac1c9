using System.Numerics;
using System.Numerics.Tensors;
using TTL.Imaging.Compute;

namespace TTL.Imaging.Intensity;

/// <summary>
/// Voxel-wise intensity transforms, in place on a volume's data (a pipeline owns the volumes it
/// passes along). Definitions follow MONAI's transforms of the same names; statistics are in
/// double, population std (ddof = 0).
/// </summary>
public static class IntensityOps
{
    /// <summary>Clamps every voxel to [lo, hi] (NaN stays NaN, as np.clip).</summary>
    public static void Clip(Span<float> x, float lo, float hi)
    {
        if (lo > hi) throw new ArgumentException($"clip range [{lo}, {hi}] is empty");
        TensorPrimitives.Max(x, lo, x);
        TensorPrimitives.Min(x, hi, x);
    }

    /// <summary>
    /// MONAI's <c>ScaleIntensityRange</c>: (x − aMin)/(aMax − aMin)·(bMax − bMin) + bMin, then
    /// clipped to [bMin, bMax] when <paramref name="clip"/>.
    /// </summary>
    public static void ScaleRange(Span<float> x, double aMin, double aMax, double bMin, double bMax, bool clip)
    {
        var (scale, shift, lo, hi) = ScaleRangeCoefficients(aMin, aMax, bMin, bMax);
        Affine(x, scale, shift);
        if (clip) Clip(x, lo, hi);
    }

    /// <summary>The float affine and clip range <see cref="ScaleRange"/> applies (also what the CUDA path applies).</summary>
    internal static (float Scale, float Shift, float Lo, float Hi) ScaleRangeCoefficients(double aMin, double aMax, double bMin, double bMax)
    {
        if (aMax == aMin) throw new ArgumentException($"a_min and a_max are both {aMin}: the input range is empty");
        double scale = (bMax - bMin) / (aMax - aMin);
        return ((float)scale, (float)(bMin - aMin * scale), (float)Math.Min(bMin, bMax), (float)Math.Max(bMin, bMax));
    }

    /// <summary>Window by centre and width (radiology level/width), mapped to [0, 1].</summary>
    public static void Window(Span<float> x, CtWindow window) =>
        ScaleRange(x, window.Lower, window.Upper, 0, 1, clip: true);

    /// <summary>
    /// Z-score normalisation, MONAI's <c>NormalizeIntensity</c>: statistics over the whole volume or
    /// per channel, and over all voxels or only nonzero ones (zeros then stay zero). A std of 0 is
    /// treated as 1 so a constant image becomes 0 rather than NaN.
    /// </summary>
    public static void ZScore(Volume v, bool nonzero = false, bool channelWise = false)
    {
        int n = (int)v.VoxelCount;
        if (channelWise)
        {
            for (int c = 0; c < v.Channels; c++) ZScoreRange(v.Data, c * n, n, nonzero);
        }
        else ZScoreRange(v.Data, 0, n * v.Channels, nonzero);
    }

    private static void ZScoreRange(float[] data, int offset, int length, bool nonzero)
    {
        var (mean, std, count) = nonzero ? Moments.OfNonzero(data, offset, length) : Moments.Of(data, offset, length);
        if (count == 0) return;
        if (std == 0) std = 1;
        if (nonzero) SubtractDivideNonzero(data, offset, length, (float)mean, (float)std);
        else SubtractDivide(data.AsSpan(offset, length), (float)mean, (float)std);
    }

    /// <summary>Clips to the given percentiles of the data itself (NumPy's linear definition, see <see cref="Percentile"/>).</summary>
    public static void PercentileClip(Span<float> x, double lowerPercentile, double upperPercentile)
    {
        var p = Percentile.Of(x, [lowerPercentile, upperPercentile]);
        Clip(x, (float)p[0], (float)p[1]);
    }

    /// <summary>x ← x·scale + shift, vectorised and parallel.</summary>
    public static void Affine(Span<float> x, float scale, float shift)
    {
        unsafe
        {
            fixed (float* p = x)
            {
                nint ptr = (nint)p;
                int len = x.Length;
                Parallelism.ForSlabs(len, 1 << 16, (from, to) =>
                {
                    var s = new Span<float>((float*)ptr + from, (int)(to - from));
                    var a = new Vector<float>(scale);
                    var b = new Vector<float>(shift);
                    int i = 0;
                    for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
                        (new Vector<float>(s.Slice(i)) * a + b).CopyTo(s.Slice(i));
                    for (; i < s.Length; i++) s[i] = s[i] * scale + shift;
                });
            }
        }
    }

    /// <summary>x ← (x − mean)/std with NumPy's rounding (subtract, then divide).</summary>
    public static void SubtractDivide(Span<float> x, float mean, float std)
    {
        unsafe
        {
            fixed (float* p = x)
            {
                nint ptr = (nint)p;
                Parallelism.ForSlabs(x.Length, 1 << 16, (from, to) =>
                {
                    var s = new Span<float>((float*)ptr + from, (int)(to - from));
                    var m = new Vector<float>(mean);
                    var d = new Vector<float>(std);
                    int i = 0;
                    for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
                        ((new Vector<float>(s.Slice(i)) - m) / d).CopyTo(s.Slice(i));
                    for (; i < s.Length; i++) s[i] = (s[i] - mean) / std;
                });
            }
        }
    }

    private static void SubtractDivideNonzero(float[] data, int offset, int length, float mean, float std)
    {
        Parallelism.ForSlabs(length, 1 << 16, (from, to) =>
        {
            var s = data.AsSpan(offset + (int)from, (int)(to - from));
            for (int i = 0; i < s.Length; i++)
                if (s[i] != 0) s[i] = (s[i] - mean) / std;
        });
    }
}
