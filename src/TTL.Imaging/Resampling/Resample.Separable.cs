using System.Numerics;
using TTL.Imaging.Compute;

namespace TTL.Imaging.Resampling;

/// <summary>
/// Fast paths for axis-aligned mappings (voxel map with a diagonal 3×3 part: resampling to a
/// spacing or a shape without rotation). Trilinear runs as three 1D passes (i, then j, then k), per
/// output plane; the i and j passes blend contiguous rows and are vectorised. The per-axis
/// taps and the blend order are the general path's, so the results are bit-identical to it.
/// </summary>
public static partial class Resample
{
    private readonly record struct AxisTaps(int[] I0, int[] I1, float[] W, bool[] Inside);

    private static AxisTaps LinearAxis(int outLength, int n, double scale, double offset, BoundaryMode mode)
    {
        var t = new AxisTaps(new int[outLength], new int[outLength], new float[outLength], new bool[outLength]);
        for (int o = 0; o < outLength; o++)
        {
            // Same expression as the general path with the off-diagonal terms exactly zero.
            double x = scale * o + offset;
            t.Inside[o] = Taps.Linear(x, n, mode, out t.I0[o], out t.I1[o], out t.W[o]);
        }
        return t;
    }

    private static void SeparableLinear(ArraySegment<float> src, int[] n, ArraySegment<float> dst, int[] o, double[,] m, BoundaryMode mode, float fill)
    {
        int n0 = n[0], n1 = n[1], n2 = n[2], o0 = o[0], o1 = o[1], o2 = o[2];
        var ta = LinearAxis(o0, n0, m[0, 0], m[0, 3], mode);
        var tb = LinearAxis(o1, n1, m[1, 1], m[1, 3], mode);
        var tc = LinearAxis(o2, n2, m[2, 2], m[2, 3], mode);

        // Per output plane i': blend two source planes (i pass), then rows of that plane (j pass),
        // then gather along k. Blending i and j first shrinks the data before the only
        // non-contiguous pass, and the plane-sized scratch buffers stay in cache.
        int outPlane = o1 * o2;
        Parallelism.ForSlabs(o0, 1, (from, to) =>
        {
            var s = src.AsSpan();
            var d = dst.AsSpan();
            var planeI = new float[n1 * n2];
            var planeJ = new float[o1 * n2];
            for (int i = (int)from; i < to; i++)
            {
                var outP = d.Slice(i * outPlane, outPlane);
                if (!ta.Inside[i]) { outP.Fill(fill); continue; }
                BlendRows(s.Slice(ta.I0[i] * n1 * n2, n1 * n2), s.Slice(ta.I1[i] * n1 * n2, n1 * n2), ta.W[i], planeI);
                for (int j = 0; j < o1; j++)
                {
                    var row = planeJ.AsSpan(j * n2, n2);
                    if (!tb.Inside[j]) { row.Fill(fill); continue; }
                    BlendRows(planeI.AsSpan(tb.I0[j] * n2, n2), planeI.AsSpan(tb.I1[j] * n2, n2), tb.W[j], row);
                }
                for (int j = 0; j < o1; j++)
                {
                    var inRow = planeJ.AsSpan(j * n2, n2);
                    var outRow = outP.Slice(j * o2, o2);
                    for (int k = 0; k < o2; k++)
                        outRow[k] = tc.Inside[k] ? Taps.Lerp(inRow[tc.I0[k]], inRow[tc.I1[k]], tc.W[k]) : fill;
                }
            }
        });
    }

    /// <summary>dst = a + w·(b − a), element-wise, vectorised with the scalar path's rounding.</summary>
    private static void BlendRows(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float w, Span<float> dst)
    {
        int x = 0;
        if (Vector.IsHardwareAccelerated && dst.Length >= Vector<float>.Count)
        {
            var wv = new Vector<float>(w);
            for (; x <= dst.Length - Vector<float>.Count; x += Vector<float>.Count)
            {
                var va = new Vector<float>(a.Slice(x));
                var vb = new Vector<float>(b.Slice(x));
                (va + wv * (vb - va)).CopyTo(dst.Slice(x));
            }
        }
        for (; x < dst.Length; x++) dst[x] = Taps.Lerp(a[x], b[x], w);
    }

    private static void SeparableNearest(ArraySegment<float> src, int[] n, ArraySegment<float> dst, int[] o, double[,] m, BoundaryMode mode, float fill)
    {
        int n1 = n[1], n2 = n[2], o1 = o[1], o2 = o[2];
        var (ia, inA) = NearestAxis(o[0], n[0], m[0, 0], m[0, 3], mode);
        var (ib, inB) = NearestAxis(o1, n1, m[1, 1], m[1, 3], mode);
        var (ic, inC) = NearestAxis(o2, n2, m[2, 2], m[2, 3], mode);
        Parallelism.ForSlabs(o[0], 1, (from, to) =>
        {
            var s = src.AsSpan();
            var d = dst.AsSpan();
            for (int i = (int)from; i < to; i++)
                for (int j = 0; j < o1; j++)
                {
                    var outRow = d.Slice((i * o1 + j) * o2, o2);
                    if (!inA[i] || !inB[j]) { outRow.Fill(fill); continue; }
                    var inRow = s.Slice((ia[i] * n1 + ib[j]) * n2, n2);
                    for (int k = 0; k < o2; k++) outRow[k] = inC[k] ? inRow[ic[k]] : fill;
                }
        });
    }

    private static (int[] Index, bool[] Inside) NearestAxis(int outLength, int n, double scale, double offset, BoundaryMode mode)
    {
        var idx = new int[outLength];
        var inside = new bool[outLength];
        for (int o = 0; o < outLength; o++) inside[o] = Taps.Nearest(scale * o + offset, n, mode, out idx[o]);
        return (idx, inside);
    }
}
