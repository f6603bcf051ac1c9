using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TTL.Analysis.Svcca.Cpu;

/// <summary>
/// The float64 SYRK-like kernel behind <see cref="CpuJointMomentAccumulator"/>: adds the scatter of
/// one centred block of rows, Xᵀ X, to the upper triangle of a D × D total.
///
/// Layout: the block is packed column-panel-major, 4 columns per panel (one Vector256 of
/// doubles): panel p holds rows 0..m−1 of columns 4p..4p+3 contiguously, so every micro-tile
/// streams two contiguous arrays. The micro-tile is 4 × 12 (one panel of i against three of j):
/// 12 accumulator registers, 3 loads and 4 broadcasts per 12 FMAs. Only tiles with j ≥ i are
/// formed (half the flops of a full product); i-panels are spread over threads.
/// </summary>
internal sealed unsafe class ScatterKernel
{
    private readonly int _d, _columnsA, _panels, _dp, _threads;
    private readonly double[] _packed;   // panels × blockRows × 4
    private readonly double[] _total;    // dp × dp, upper triangle (by 4 × 4 tiles)
    private readonly double[] _normA, _normB;
    private readonly double[] _partial;  // per i-panel: Σ squares of the block scatter in AA, AB, BB
    private int _rows;

    public ScatterKernel(int d, int columnsA, int blockRows, int threads)
    {
        _d = d;
        _columnsA = columnsA;
        _panels = (d + 3) / 4;
        _dp = _panels * 4;
        _threads = threads;
        _packed = new double[(long)_panels * blockRows * 4];
        _total = new double[(long)_dp * _dp];
        _normA = new double[blockRows];
        _normB = new double[blockRows];
        _partial = new double[_panels * 3];
    }

    public readonly record struct BlockSquares(double AA, double AB, double BB);

    /// <summary>Centres the m staged rows (row-major m × D) on <paramref name="mean"/> and packs them; returns the squared norms of each centred row's A and B parts.</summary>
    public (double[] A, double[] B) Pack(double[] stage, int m, double[] mean)
    {
        _rows = m;
        for (int r = 0; r < m; r++)
        {
            double na = 0, nb = 0;
            int src = r * _d;
            for (int c = 0; c < _d; c++)
            {
                double v = stage[src + c] - mean[c];
                _packed[((long)(c >> 2) * m + r) * 4 + (c & 3)] = v;
                if (c < _columnsA) na += v * v; else nb += v * v;
            }
            for (int c = _d; c < _dp; c++) _packed[((long)(c >> 2) * m + r) * 4 + (c & 3)] = 0;
            _normA[r] = na;
            _normB[r] = nb;
        }
        return (_normA, _normB);
    }

    /// <summary>
    /// total += XᵀX + weight·δδᵀ on the upper triangle (Chan et al.'s merge, fused into the tile
    /// stores), and returns the squared Frobenius norms of the block scatter's AA, AB and BB parts.
    /// </summary>
    public BlockSquares Accumulate(int m, double[] delta, double weight)
    {
        var dpad = new double[_dp];
        Array.Copy(delta, dpad, _d);
        Array.Clear(_partial);
        var po = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        Parallel.For(0, _panels, po, p => Panel(p, m, dpad, weight));
        double aa = 0, ab = 0, bb = 0;
        for (int p = 0; p < _panels; p++)
        {
            aa += _partial[3 * p];
            ab += _partial[3 * p + 1];
            bb += _partial[3 * p + 2];
        }
        return new BlockSquares(aa, ab, bb);
    }

    private void Panel(int p, int m, double[] delta, double weight)
    {
        Span<double> tile = stackalloc double[48];
        double aa = 0, ab = 0, bb = 0;
        fixed (double* packed = _packed)
        {
            double* a = packed + (long)p * m * 4;
            int q = p;
            for (; q + 2 < _panels; q += 3)
            {
                Tile4x12(a, packed + (long)q * m * 4, packed + (long)(q + 1) * m * 4, packed + (long)(q + 2) * m * 4, m, tile);
                Store(p, q, 12, tile, delta, weight, ref aa, ref ab, ref bb);
            }
            for (; q < _panels; q++)
            {
                Tile4x4(a, packed + (long)q * m * 4, m, tile);
                Store(p, q, 4, tile, delta, weight, ref aa, ref ab, ref bb);
            }
        }
        _partial[3 * p] = aa;
        _partial[3 * p + 1] = ab;
        _partial[3 * p + 2] = bb;
    }

    /// <summary>Adds a 4 × width tile (row-major in <paramref name="tile"/>) at rows 4p.., columns 4q.. of the total.</summary>
    private void Store(int p, int q, int width, Span<double> tile, double[] delta, double weight, ref double aa, ref double ab, ref double bb)
    {
        for (int r = 0; r < 4; r++)
        {
            int i = 4 * p + r;
            if (i >= _d) break;
            long rowBase = (long)i * _dp;
            double wi = weight * delta[i];
            for (int t = 0; t < width; t++)
            {
                int j = 4 * q + t;
                if (j < i || j >= _d) continue;
                double v = tile[r * width + t];
                _total[rowBase + j] += v + wi * delta[j];
                // Squares of the full symmetric block scatter: off-diagonal entries count twice.
                double s = v * v;
                if (j < _columnsA) aa += i == j ? s : 2 * s;
                else if (i < _columnsA) ab += s;
                else bb += i == j ? s : 2 * s;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x12(double* a, double* b0, double* b1, double* b2, int m, Span<double> tile)
    {
        if (!Fma.IsSupported)
        {
            TileScalar(a, [(nint)b0, (nint)b1, (nint)b2], m, tile);
            return;
        }
        Vector256<double> c00 = default, c01 = default, c02 = default;
        Vector256<double> c10 = default, c11 = default, c12 = default;
        Vector256<double> c20 = default, c21 = default, c22 = default;
        Vector256<double> c30 = default, c31 = default, c32 = default;
        for (int k = 0; k < m; k++)
        {
            var v0 = Avx.LoadVector256(b0 + 4 * k);
            var v1 = Avx.LoadVector256(b1 + 4 * k);
            var v2 = Avx.LoadVector256(b2 + 4 * k);
            double* ak = a + 4 * k;
            var s = Avx.BroadcastScalarToVector256(ak);
            c00 = Fma.MultiplyAdd(s, v0, c00); c01 = Fma.MultiplyAdd(s, v1, c01); c02 = Fma.MultiplyAdd(s, v2, c02);
            s = Avx.BroadcastScalarToVector256(ak + 1);
            c10 = Fma.MultiplyAdd(s, v0, c10); c11 = Fma.MultiplyAdd(s, v1, c11); c12 = Fma.MultiplyAdd(s, v2, c12);
            s = Avx.BroadcastScalarToVector256(ak + 2);
            c20 = Fma.MultiplyAdd(s, v0, c20); c21 = Fma.MultiplyAdd(s, v1, c21); c22 = Fma.MultiplyAdd(s, v2, c22);
            s = Avx.BroadcastScalarToVector256(ak + 3);
            c30 = Fma.MultiplyAdd(s, v0, c30); c31 = Fma.MultiplyAdd(s, v1, c31); c32 = Fma.MultiplyAdd(s, v2, c32);
        }
        fixed (double* t = tile)
        {
            Avx.Store(t + 0, c00); Avx.Store(t + 4, c01); Avx.Store(t + 8, c02);
            Avx.Store(t + 12, c10); Avx.Store(t + 16, c11); Avx.Store(t + 20, c12);
            Avx.Store(t + 24, c20); Avx.Store(t + 28, c21); Avx.Store(t + 32, c22);
            Avx.Store(t + 36, c30); Avx.Store(t + 40, c31); Avx.Store(t + 44, c32);
        }
    }

    private static void Tile4x4(double* a, double* b, int m, Span<double> tile)
    {
        if (!Fma.IsSupported)
        {
            TileScalar(a, [(nint)b], m, tile);
            return;
        }
        Vector256<double> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int k = 0; k < m; k++)
        {
            var v = Avx.LoadVector256(b + 4 * k);
            double* ak = a + 4 * k;
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ak), v, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ak + 1), v, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ak + 2), v, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ak + 3), v, c3);
        }
        fixed (double* t = tile)
        {
            Avx.Store(t, c0); Avx.Store(t + 4, c1); Avx.Store(t + 8, c2); Avx.Store(t + 12, c3);
        }
    }

    /// <summary>The same tile without AVX2/FMA (other CPUs), row-major 4 × (4·panels).</summary>
    private static void TileScalar(double* a, nint[] panels, int m, Span<double> tile)
    {
        int width = 4 * panels.Length;
        tile[..(4 * width)].Clear();
        for (int k = 0; k < m; k++)
            for (int r = 0; r < 4; r++)
            {
                double x = a[4 * k + r];
                for (int q = 0; q < panels.Length; q++)
                {
                    double* b = (double*)panels[q] + 4 * k;
                    for (int t = 0; t < 4; t++) tile[r * width + 4 * q + t] += x * b[t];
                }
            }
    }

    /// <summary>The accumulated scatter as a full symmetric row-major D × D array.</summary>
    public double[] SymmetricScatter()
    {
        var s = new double[(long)_d * _d];
        for (int i = 0; i < _d; i++)
            for (int j = i; j < _d; j++)
            {
                double v = _total[(long)i * _dp + j];
                s[(long)i * _d + j] = v;
                s[(long)j * _d + i] = v;
            }
        return s;
    }
}
