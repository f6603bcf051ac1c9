using TTL.Torch;

namespace TTL.Analysis.Svcca.Cpu;

/// <summary>
/// SVCCA, PWCCA and CKA on the CPU: the scatter is accumulated by <see cref="CpuJointMomentAccumulator"/>
/// and decomposed in float64 with libtorch's LAPACK-backed eigh and SVD.
/// </summary>
public sealed class CpuSvccaBackend : ISvccaBackend
{
    public static CpuSvccaBackend Instance { get; } = new();

    public string Name => "cpu";

    public IJointMomentAccumulator CreateAccumulator(int columnsA, int columnsB, AccumulatorOptions options) =>
        new CpuJointMomentAccumulator(columnsA, columnsB, options);

    /// <summary>
    /// From the centred scatter S = [A|B]ᵀ[A|B] (covariances up to the common 1/(N−1), which no
    /// result depends on):
    /// 1. SVD reduction: the eigen-decomposition S_aa = U Λ Uᵀ gives the singular directions of the
    ///    centred A (Λ = squared singular values); keep the top k_a by variance fraction or count.
    ///    The reduced representation A_c U_k has covariance exactly Λ_k: diagonal.
    /// 2. CCA between reduced representations: whitening is therefore Λ_k^(−1/2) from the same
    ///    eigh, with the ridge ε·λ_max added (eigh rather than Cholesky because it is the
    ///    decomposition step 1 already needs, and a near-null kept direction degrades gracefully
    ///    under the ridge instead of failing a Cholesky). The canonical correlations are the
    ///    singular values of T = Λa'^(−1/2) U_aᵀ S_ab U_b Λb'^(−1/2), sorted descending.
    /// 3. PWCCA (Morcos et al. 2018): the i-th canonical variate of A, h_i = A_c U_a Λa'^(−1/2) q_i
    ///    (q_i the i-th left singular vector of T), is weighted by α_i = Σ_j |⟨h_i, a_j⟩| over A's
    ///    centred neurons a_j. Since A_cᵀA_c U_a = U_a Λ_a, A_cᵀ h_i = U_a Λ_a Λa'^(−1/2) q_i: no pass
    ///    over the data. (The reference code projects the uncentred neurons; centring removes the
    ///    neuron means, which carry no correlation structure.)
    /// 4. Linear CKA (Kornblith et al. 2019): ‖S_ab‖²_F / (‖S_aa‖_F ‖S_bb‖_F).
    /// </summary>
    public SvccaResult Analyze(JointMoments m, SvccaOptions options)
    {
        options.Validate();
        if (m.N < 2) throw new ActivationDataException("A", $"{m.N} samples; SVCCA needs at least 2");
        int ca = m.ColumnsA, cb = m.ColumnsB, d = m.Columns;
        using var scope = torch.NewDisposeScope();
        using var s = torch.tensor(m.Scatter, d, d);
        var saa = s.narrow(0, 0, ca).narrow(1, 0, ca).contiguous();
        var sbb = s.narrow(0, ca, cb).narrow(1, ca, cb).contiguous();
        var sab = s.narrow(0, 0, ca).narrow(1, ca, cb).contiguous();

        var a = Reduce(saa, "A", options, options.KeepExact?.A);
        var b = Reduce(sbb, "B", options, options.KeepExact?.B);

        // T = diag(wa) · U_aᵀ S_ab U_b · diag(wb)
        var wa = torch.tensor(a.Whitening, a.Kept, 1);
        var wb = torch.tensor(b.Whitening, 1, b.Kept);
        var t = a.Directions.T.mm(sab).mm(b.Directions) * wa * wb;
        var (q, rho, _) = torch.linalg.svd(t, full_matrices: false);
        var cca = rho.data<double>();

        // PWCCA weights: α_i = ‖U_a diag(λ·w) q_i‖₁ over A's neurons.
        var scale = torch.tensor(CcaSteps.ProjectionScale(a.Steps), a.Kept, 1);
        var h = a.Directions.mm(q * scale);
        // sum([0]), not sum(0): a literal 0 converts to DType and would pick sum(DType?).
        var alpha = h.abs().sum([0L]).data<double>();
        var (pwcca, weights) = CcaSteps.Pwcca(alpha, cca);

        return new SvccaResult
        {
            N = m.N,
            ColumnsA = ca,
            ColumnsB = cb,
            KeptA = a.Kept,
            KeptB = b.Kept,
            ExplainedA = a.Explained,
            ExplainedB = b.Explained,
            Cca = cca,
            Pwcca = pwcca,
            PwccaWeights = weights,
            Cka = LinearCka(m.Scatter, ca, cb),
            CkaMinibatch = m.Minibatch?.Cka,
        };
    }

    private sealed record Side(Tensor Directions, CcaSteps.Kept Steps)
    {
        public double[] Whitening => Steps.Whitening;
        public int Kept => Steps.Count;
        public double Explained => Steps.Explained;
    }

    /// <summary>Top singular directions of one side, by variance fraction or fixed count.</summary>
    private static Side Reduce(Tensor scatter, string side, SvccaOptions o, int? exact)
    {
        var (values, vectors) = torch.linalg.eigh(scatter);
        // eigh sorts ascending; SVCCA wants the largest first.
        var kept = CcaSteps.Choose(values.data<double>(), side, o, exact);
        return new Side(vectors.flip(1).narrow(1, 0, kept.Count).contiguous(), kept);
    }

    /// <summary>Linear CKA from the centred scatter blocks.</summary>
    public static double LinearCka(double[] scatter, int ca, int cb)
    {
        int d = ca + cb;
        double aa = 0, ab = 0, bb = 0;
        for (int i = 0; i < d; i++)
        {
            long row = (long)i * d;
            for (int j = 0; j < d; j++)
            {
                double v = scatter[row + j];
                if (i < ca && j < ca) aa += v * v;
                else if (i < ca) ab += v * v;
                else if (j >= ca) bb += v * v;
            }
        }
        return ab / Math.Sqrt(aa * bb);
    }
}
