using System.Runtime.CompilerServices;

namespace TTL.Imaging.Resampling;

/// <summary>
/// Where a sample position along one axis reads from, and with what weights, for each
/// interpolator and boundary mode. The general and the separable resampling paths both call these,
/// which is what makes their results bit-identical.
/// </summary>
internal static class Taps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Nearest(double x, int n, BoundaryMode mode, out int i)
    {
        if (mode == BoundaryMode.Border) x = Math.Clamp(x, 0, n - 1);
        else if (!(x >= 0 && x <= n - 1)) { i = 0; return false; }
        // Round half up, as scipy's order 0 does.
        i = Math.Min((int)Math.Floor(x + 0.5), n - 1);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Linear(double x, int n, BoundaryMode mode, out int i0, out int i1, out float w)
    {
        if (mode == BoundaryMode.Border) x = Math.Clamp(x, 0, n - 1);
        else if (!(x >= 0 && x <= n - 1)) { i0 = i1 = 0; w = 0; return false; }
        double f = Math.Floor(x);
        i0 = (int)f;
        i1 = i0 + 1 < n ? i0 + 1 : i0;
        w = (float)(x - f);
        return true;
    }

    /// <summary>a + w·(b − a): the one linear blend used everywhere (no fused multiply-add, so every path rounds alike).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Lerp(float a, float b, float w) => a + w * (b - a);

    /// <summary>
    /// Four cubic B-spline taps. Border: coefficients live on a grid padded by <paramref name="pad"/>
    /// and the position is not clamped (scipy evaluates the spline over the padding); taps beyond the
    /// padded grid are clamped. Constant: positions outside [0, n−1] are outside, taps are mirrored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Cubic(double x, int n, int pad, BoundaryMode mode, out Cubic4 t)
    {
        t = default;
        if (mode == BoundaryMode.Constant && !(x >= 0 && x <= n - 1)) return false;
        double xp = x + pad;
        double f = Math.Floor(xp);
        double u = xp - f;
        double u2 = u * u, u3 = u2 * u, v = 1 - u;
        t.W0 = (float)(v * v * v / 6);
        t.W1 = (float)((3 * u3 - 6 * u2 + 4) / 6);
        t.W2 = (float)((-3 * u3 + 3 * u2 + 3 * u + 1) / 6);
        t.W3 = (float)(u3 / 6);
        int start = (int)f - 1, np = n + 2 * pad;
        if (mode == BoundaryMode.Border)
        {
            t.I0 = Math.Clamp(start, 0, np - 1);
            t.I1 = Math.Clamp(start + 1, 0, np - 1);
            t.I2 = Math.Clamp(start + 2, 0, np - 1);
            t.I3 = Math.Clamp(start + 3, 0, np - 1);
        }
        else
        {
            t.I0 = Mirror(start, n);
            t.I1 = Mirror(start + 1, n);
            t.I2 = Mirror(start + 2, n);
            t.I3 = Mirror(start + 3, n);
        }
        return true;
    }

    /// <summary>Whole-sample symmetric index: … 2 1 0 1 2 … n−2 n−1 n−2 …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mirror(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }
}

/// <summary>Indices and weights of the four cubic taps along one axis.</summary>
internal struct Cubic4
{
    public int I0, I1, I2, I3;
    public float W0, W1, W2, W3;
}
