using TTL.Imaging.Compute;

namespace TTL.Imaging.Resampling;

/// <summary>
/// Turns samples into cubic B-spline coefficients (the recursive filter of Unser et al., pole
/// √3 − 2, applied along each axis) so that the interpolating spline passes through the samples,
/// as scipy.ndimage's <c>spline_filter</c> does before <c>order=3</c> interpolation.
/// </summary>
internal static class BSplinePrefilter
{
    /// <summary>
    /// With <see cref="BoundaryMode.Border"/> the grid is first padded by this many edge copies on
    /// every side, like scipy's prepadding for <c>mode='nearest'</c>: the filter's boundary
    /// condition then acts far from the data, and the edge extension is what the spline sees.
    /// </summary>
    public const int BorderPad = 12;

    private static readonly double Pole = Math.Sqrt(3.0) - 2.0;

    /// <summary>Coefficients of one channel; for Border they cover the padded grid (shape + 2·BorderPad).</summary>
    public static float[] Coefficients(ReadOnlySpan<float> channel, int n0, int n1, int n2, BoundaryMode mode, out int pad)
    {
        pad = mode == BoundaryMode.Border ? BorderPad : 0;
        int p0 = n0 + 2 * pad, p1 = n1 + 2 * pad, p2 = n2 + 2 * pad;
        var c = new float[(long)p0 * p1 * p2];
        for (int i = 0; i < p0; i++)
        {
            int si = Math.Clamp(i - pad, 0, n0 - 1);
            for (int j = 0; j < p1; j++)
            {
                int sj = Math.Clamp(j - pad, 0, n1 - 1);
                var srcRow = channel.Slice((si * n1 + sj) * n2, n2);
                var dst = c.AsSpan((int)(((long)i * p1 + j) * p2), p2);
                dst.Slice(0, pad).Fill(srcRow[0]);
                srcRow.CopyTo(dst.Slice(pad));
                dst.Slice(pad + n2).Fill(srcRow[n2 - 1]);
            }
        }
        // scipy filters the nearest-padded grid with the half-sample (reflect) start values and a
        // constant-mode grid with the whole-sample (mirror) ones.
        bool mirror = mode == BoundaryMode.Constant;
        FilterAxis(c, p0, p1, p2, axis: 2, mirror);
        FilterAxis(c, p0, p1, p2, axis: 1, mirror);
        FilterAxis(c, p0, p1, p2, axis: 0, mirror);
        return c;
    }

    private static void FilterAxis(float[] c, int p0, int p1, int p2, int axis, bool mirror)
    {
        int n = axis == 0 ? p0 : axis == 1 ? p1 : p2;
        if (n < 2) return;
        long stride = axis == 0 ? (long)p1 * p2 : axis == 1 ? p2 : 1;
        long lines = (long)p0 * p1 * p2 / n;
        Parallelism.ForSlabs(lines, 256, (from, to) =>
        {
            var line = new double[n];
            for (long l = from; l < to; l++)
            {
                long start = axis switch
                {
                    2 => l * p2,
                    1 => (l / p2) * p1 * p2 + l % p2,
                    _ => l,
                };
                for (int t = 0; t < n; t++) line[t] = c[start + t * stride];
                FilterLine(line, mirror);
                for (int t = 0; t < n; t++) c[start + t * stride] = (float)line[t];
            }
        });
    }

    internal static void FilterLine(Span<double> c, bool mirror)
    {
        int n = c.Length;
        if (n < 2) return;
        double z = Pole;
        double gain = (1 - z) * (1 - 1 / z);
        for (int i = 0; i < n; i++) c[i] *= gain;

        if (mirror) InitCausalMirror(c, z); else InitCausalReflect(c, z);
        for (int i = 1; i < n; i++) c[i] += z * c[i - 1];
        if (mirror) c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1);
        else c[n - 1] *= z / (z - 1);
        for (int i = n - 2; i >= 0; i--) c[i] = z * (c[i + 1] - c[i]);
    }

    // Start value of the causal pass for the whole-sample symmetric extension … c2 c1 c0 c1 c2 …
    private static void InitCausalMirror(Span<double> c, double z)
    {
        int n = c.Length;
        double zi = z, zn1 = Math.Pow(z, n - 1);
        double c0 = c[0] + zn1 * c[n - 1];
        for (int i = 1; i < n - 1; i++)
        {
            c0 += zi * (c[i] + zn1 * c[n - 1 - i]);
            zi *= z;
        }
        c[0] = c0 / (1 - zn1 * zn1);
    }

    // Start value for the half-sample symmetric extension … c1 c0 c0 c1 …
    private static void InitCausalReflect(Span<double> c, double z)
    {
        int n = c.Length;
        double zi = z, zn = Math.Pow(z, n), first = c[0];
        double c0 = c[0] + zn * c[n - 1];
        for (int i = 1; i < n; i++)
        {
            c0 += zi * (c[i] + zn * c[n - 1 - i]);
            zi *= z;
        }
        c[0] = c0 * z / (1 - zn * zn) + first;
    }
}
