using TTL.Cuda.Blas;

namespace TTL.Cuda.Tests.Gpu;

[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuBlasSolverTests
{
    private static double[] Random(int n, int seed)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
    }

    /// <summary>C = op(A)·op(B) column-major, the definition cuBLAS implements.</summary>
    private static double[] Gemm(bool ta, bool tb, int m, int n, int k, double[] a, int lda, double[] b, int ldb)
    {
        var c = new double[m * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (ta ? a[i * lda + p] : a[p * lda + i]) * (tb ? b[p * ldb + j] : b[j * ldb + p]);
                c[j * m + i] = s;
            }
        return c;
    }

    [GpuFact]
    public void Gemm_and_syrk_match_their_definitions_in_float64_and_float32()
    {
        var gpu = Gpus.Device;
        int m = 37, n = 29, k = 53;
        var a = Random(k * m, 1); // op(A) = Aᵀ: A stored k × m
        var b = Random(k * n, 2);
        using var da = gpu.Upload<double>(a);
        using var db = gpu.Upload<double>(b);
        using var dc = gpu.Alloc<double>(m * n);
        gpu.Blas.Gemm(BlasOp.T, BlasOp.N, m, n, k, 1.0, da.Ptr, k, db.Ptr, k, 0.0, dc.Ptr, m);
        var want = Gemm(true, false, m, n, k, a, k, b, k);
        Gpus.CloseToScale(want, dc.ToArray(), 1e-13, "dgemm");

        using var fa = gpu.Upload<float>(a.Select(x => (float)x).ToArray());
        using var fb = gpu.Upload<float>(b.Select(x => (float)x).ToArray());
        using var fc = gpu.Alloc<float>(m * n);
        gpu.Blas.Gemm(BlasOp.T, BlasOp.N, m, n, k, 1f, fa.Ptr, k, fb.Ptr, k, 0f, fc.Ptr, m);
        // The float inputs are the doubles rounded: ~1e-7 relative per product, summed over k.
        Gpus.CloseToScale(want, fc.ToArray().Select(x => (double)x).ToArray(), 1e-5, "sgemm");

        // SYRK, lower triangle of C = A·Aᵀ with A n × k column-major.
        using var dsy = gpu.Alloc<double>(n * n);
        dsy.Clear();
        gpu.Blas.Syrk(BlasFill.Lower, BlasOp.N, n, k, 1.0, db.Ptr, n, 0.0, dsy.Ptr, n);
        var full = Gemm(false, true, n, n, k, b, n, b, n);
        var got = dsy.ToArray();
        var lower = new List<(double Want, double Got)>();
        for (int j = 0; j < n; j++)
            for (int i = j; i < n; i++) lower.Add((full[j * n + i], got[j * n + i]));
        Gpus.CloseToScale(lower.Select(x => x.Want).ToArray(), lower.Select(x => x.Got).ToArray(), 1e-13, "dsyrk lower triangle");
    }

    [GpuFact]
    public void Syevd_gesvdj_and_potrf_decompose_a_symmetric_positive_definite_matrix()
    {
        var gpu = Gpus.Device;
        int n = 41;
        var g = Random(n * n, 3);
        var spd = Gemm(false, true, n, n, n, g, n, g, n);
        for (int i = 0; i < n; i++) spd[i * n + i] += n;
        using var a = gpu.Upload<double>(spd);
        using var w = gpu.Alloc<double>(n);
        gpu.Solver.Syevd(a.Ptr, n, n, w.Ptr);
        var vec = a.ToArray();
        var lambda = w.ToArray();
        Assert.Equal(lambda.Order(), lambda);
        var lv = new double[n * n];
        var av = new double[n * n];
        for (int c = 0; c < n; c++)
            for (int r = 0; r < n; r++)
            {
                for (int p = 0; p < n; p++) av[c * n + r] += spd[p * n + r] * vec[c * n + p];
                lv[c * n + r] = lambda[c] * vec[c * n + r];
            }
        Gpus.CloseToScale(lv, av, 1e-12, "A·v = λ·v");

        using var m = gpu.Upload<double>(spd);
        using var s = gpu.Alloc<double>(n);
        using var u = gpu.Alloc<double>(n * n);
        using var v = gpu.Alloc<double>(n * n);
        gpu.Solver.Gesvdj(n, n, m.Ptr, n, s.Ptr, u.Ptr, n, v.Ptr, n);
        Gpus.Close(lambda.Reverse().ToArray(), s.ToArray(), 1e-10, "singular values of an SPD matrix are its eigenvalues");

        using var l = gpu.Upload<double>(spd);
        gpu.Solver.Potrf(BlasFill.Lower, n, l.Ptr, n);
        var chol = l.ToArray();
        var original = new List<double>();
        var rebuilt = new List<double>();
        for (int j = 0; j < n; j++)
            for (int i = j; i < n; i++)
            {
                double sum = 0;
                for (int p = 0; p <= j; p++) sum += chol[p * n + i] * chol[p * n + j];
                original.Add(spd[j * n + i]);
                rebuilt.Add(sum);
            }
        Gpus.CloseToScale(original.ToArray(), rebuilt.ToArray(), 1e-12, "L·Lᵀ = A");

        var indefinite = (double[])spd.Clone();
        indefinite[5 * n + 5] = -1e6;
        using var bad = gpu.Upload<double>(indefinite);
        var e = Assert.Throws<CudaException>(() => gpu.Solver.Potrf(BlasFill.Lower, n, bad.Ptr, n));
        Assert.Contains("leading minor of order 6", e.Message);
    }
}
