using TTL.Analysis.Svcca.Cpu;
using TTL.Cuda;
using TTL.Cuda.Blas;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;

namespace TTL.Analysis.Svcca.Cuda;

/// <summary>
/// SVCCA, PWCCA and CKA with the heavy steps on the GPU: the scatter accumulation
/// (<see cref="GpuJointMomentAccumulator"/>), and in <see cref="Analyze"/> the eigen-decompositions
/// (cuSOLVER DSYEVD), the CCA matrix (cuBLAS DGEMM and svcca.cu's scaling), its SVD (cuSOLVER
/// DGESVDJ) and the PWCCA projection. The choices between them (kept directions, whitening,
/// weights) are <see cref="CcaSteps"/>, the same code as <see cref="CpuSvccaBackend"/>, and so is
/// the product order, so the two agree to float64 round-off.
/// </summary>
public sealed class GpuSvccaBackend(GpuDevice gpu) : ISvccaBackend
{
    public string Name => $"cuda:{gpu.Device.Ordinal}";

    public IJointMomentAccumulator CreateAccumulator(int columnsA, int columnsB, AccumulatorOptions options) =>
        new GpuJointMomentAccumulator(gpu, columnsA, columnsB, options);

    public SvccaResult Analyze(JointMoments m, SvccaOptions options)
    {
        options.Validate();
        if (m.N < 2) throw new ActivationDataException("A", $"{m.N} samples; SVCCA needs at least 2");
        int ca = m.ColumnsA, cb = m.ColumnsB, d = m.Columns;
        // Symmetric, so the row-major scatter is also its own column-major layout.
        using var s = gpu.Upload<double>(m.Scatter);
        var (ua, a) = Reduce(s.Ptr, d, 0, ca, "A", options, options.KeepExact?.A);
        using var uaBuf = ua;
        var (ub, b) = Reduce(s.Ptr, d, ca, cb, "B", options, options.KeepExact?.B);
        using var ubBuf = ub;
        int ka = a.Count, kb = b.Count, p = Math.Min(ka, kb);

        // T = ((U_aᵀ S_ab) U_b)·diag(wa)·diag(wb), in the CPU's order.
        var sab = s.Ptr.Plus<double>((long)ca * d);
        using var m1 = gpu.Alloc<double>((long)ka * cb);
        gpu.Blas.Gemm(BlasOp.T, BlasOp.N, ka, cb, ca, 1.0, ua.Ptr, ca, sab, d, 0.0, m1.Ptr, ka);
        using var t = gpu.Alloc<double>((long)ka * kb);
        gpu.Blas.Gemm(BlasOp.N, BlasOp.N, ka, kb, cb, 1.0, m1.Ptr, ka, ub.Ptr, cb, 0.0, t.Ptr, ka);
        using var wa = gpu.Upload<double>(a.Whitening);
        using var wb = gpu.Upload<double>(b.Whitening);
        gpu.Launch(KernelCalls.ScaleRowsCols(t.Ptr, ka, kb, ka, wa.Ptr, wb.Ptr), (long)ka * kb);

        using var rho = gpu.Alloc<double>(p);
        using var q = gpu.Alloc<double>((long)ka * p);
        using var v = gpu.Alloc<double>((long)kb * p);
        gpu.Solver.Gesvdj(ka, kb, t.Ptr, ka, rho.Ptr, q.Ptr, ka, v.Ptr, kb, economy: true);
        var cca = rho.ToArray(gpu.Stream);

        // PWCCA: α_j = Σ_neurons |U_a diag(λ·w) q_j|.
        using var scale = gpu.Upload<double>(CcaSteps.ProjectionScale(a));
        gpu.Launch(KernelCalls.ScaleRowsCols(q.Ptr, ka, p, ka, scale.Ptr, DevicePtr.Null), (long)ka * p);
        using var h = gpu.Alloc<double>((long)ca * p);
        gpu.Blas.Gemm(BlasOp.N, BlasOp.N, ca, p, ka, 1.0, ua.Ptr, ca, q.Ptr, ka, 0.0, h.Ptr, ca);
        using var alphaBuf = gpu.Alloc<double>(p);
        gpu.Launch(KernelCalls.ColumnAbsSums(h.Ptr, ca, p, ca, alphaBuf.Ptr), (long)p * 32);
        var (pwcca, weights) = CcaSteps.Pwcca(alphaBuf.ToArray(gpu.Stream), cca);

        return new SvccaResult
        {
            N = m.N,
            ColumnsA = ca,
            ColumnsB = cb,
            KeptA = ka,
            KeptB = kb,
            ExplainedA = a.Explained,
            ExplainedB = b.Explained,
            Cca = cca,
            Pwcca = pwcca,
            PwccaWeights = weights,
            Cka = CpuSvccaBackend.LinearCka(m.Scatter, ca, cb),
            CkaMinibatch = m.Minibatch?.Cka,
        };
    }

    /// <summary>One side: its diagonal scatter block decomposed, the kept top directions gathered in descending order.</summary>
    private (DeviceBuffer<double> Directions, CcaSteps.Kept Kept) Reduce(DevicePtr s, int d, int offset, int c, string side, SvccaOptions o, int? exact)
    {
        using var block = gpu.Alloc<double>((long)c * c);
        gpu.Launch(KernelCalls.CopyBlock(s.Plus<double>((long)offset * d + offset), d, block.Ptr, c, c, c), (long)c * c);
        using var w = gpu.Alloc<double>(c);
        gpu.Solver.Syevd(block.Ptr, c, c, w.Ptr);
        var kept = CcaSteps.Choose(w.ToArray(gpu.Stream), side, o, exact);
        var directions = gpu.Alloc<double>((long)c * kept.Count);
        try
        {
            gpu.Launch(KernelCalls.GatherColumnsDesc(block.Ptr, c, kept.Count, directions.Ptr), (long)c * kept.Count);
        }
        catch
        {
            directions.Dispose(); // the caller only disposes what it receives
            throw;
        }
        return (directions, kept);
    }
}
