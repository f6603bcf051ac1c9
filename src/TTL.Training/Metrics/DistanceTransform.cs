namespace TTL.Training.Metrics;

/// <summary>
/// Exact Euclidean distance transform on a 3D grid with anisotropic spacing: for every voxel, the
/// distance in millimetres to the nearest voxel where <c>feature</c> is true. Separable: the squared
/// distance is built one axis at a time with the lower envelope of parabolas (Felzenszwalb and
/// Huttenlocher, 2012), so the cost is linear in the number of voxels.
/// </summary>
public static class DistanceTransform
{
    /// <summary>Returns distances (mm) for a [I, J, K] grid; +∞ everywhere when there is no feature voxel.</summary>
    public static double[] Compute(ReadOnlySpan<bool> feature, int[] shape, double[] spacing)
    {
        int ni = shape[0], nj = shape[1], nk = shape[2];
        long n = (long)ni * nj * nk;
        if (feature.Length != n) throw new ArgumentException("feature mask does not match the shape");
        var d = new double[n];
        for (long v = 0; v < n; v++) d[v] = feature[(int)v] ? 0 : double.PositiveInfinity;

        // Axis k (contiguous), then j, then i; each pass turns per-line squared distances into
        // squared distances over the axes processed so far.
        Pass(d, lines: ni * nj, length: nk, stride: 1, lineStart: l => (long)l * nk, spacing[2]);
        Pass(d, lines: ni * nk, length: nj, stride: nk, lineStart: l => (long)(l / nk) * nj * nk + l % nk, spacing[1]);
        Pass(d, lines: nj * nk, length: ni, stride: (long)nj * nk, lineStart: l => l, spacing[0]);

        for (long v = 0; v < n; v++) d[v] = Math.Sqrt(d[v]);
        return d;
    }

    private static void Pass(double[] d, int lines, int length, long stride, Func<int, long> lineStart, double step)
    {
        Parallel.For(0, lines, () => new Scratch(length), (line, _, s) =>
        {
            long start = lineStart(line);
            for (int x = 0; x < length; x++)
            {
                double v = d[start + x * stride];
                // The first pass sees 0/∞ indicators; later ones already hold squared distances.
                s.F[x] = v;
            }
            Envelope(s, length, step);
            for (int x = 0; x < length; x++) d[start + x * stride] = s.Out[x];
            return s;
        }, _ => { });
    }

    private sealed class Scratch(int n)
    {
        public readonly double[] F = new double[n];
        public readonly double[] Out = new double[n];
        public readonly int[] V = new int[n];
        public readonly double[] Z = new double[n + 1];
    }

    /// <summary>Out[x] = min over q of F[q] + ((x − q)·step)², by the lower envelope of parabolas.</summary>
    private static void Envelope(Scratch s, int n, double step)
    {
        var f = s.F;
        var v = s.V;
        var z = s.Z;
        double w = step * step;
        int k = -1;
        for (int q = 0; q < n; q++)
        {
            if (double.IsPositiveInfinity(f[q])) continue;
            while (k >= 0)
            {
                // Intersection of the parabolas rooted at v[k] and q, in index units.
                double sAt = ((f[q] + w * q * q) - (f[v[k]] + w * v[k] * v[k])) / (2 * w * (q - v[k]));
                if (sAt <= z[k]) { k--; continue; }
                k++;
                v[k] = q;
                z[k] = sAt;
                z[k + 1] = double.PositiveInfinity;
                goto placed;
            }
            k = 0;
            v[0] = q;
            z[0] = double.NegativeInfinity;
            z[1] = double.PositiveInfinity;
        placed:;
        }
        if (k < 0)
        {
            Array.Fill(s.Out, double.PositiveInfinity, 0, n);
            return;
        }
        int j = 0;
        for (int x = 0; x < n; x++)
        {
            while (z[j + 1] < x) j++;
            double dx = (x - v[j]) * step;
            s.Out[x] = f[v[j]] + dx * dx;
        }
    }
}
