namespace TTL.Analysis.Svcca;

/// <summary>
/// Everything SVCCA, PWCCA and CKA need from two activation matrices A [N, Ca] and B [N, Cb]
/// observed on the same N samples: the column means and the centred scatter of the joint matrix
/// [A|B], i.e. S = Σ_k (x_k − μ)(x_k − μ)ᵀ (D × D, D = Ca + Cb, float64). Its blocks are
/// S_aa = A_cᵀA_c, S_ab = A_cᵀB_c and S_bb = B_cᵀB_c. Size is O(D²) whatever N is, which is what lets
/// the analysis stream over millions of rows.
/// </summary>
public sealed class JointMoments
{
    public JointMoments(long n, int columnsA, int columnsB, double[] mean, double[] scatter, MinibatchHsic? minibatch = null)
    {
        int d = columnsA + columnsB;
        if (mean.Length != d) throw new ArgumentException($"mean has {mean.Length} entries, expected {d}");
        if (scatter.Length != (long)d * d) throw new ArgumentException($"scatter has {scatter.Length} entries, expected {d}²");
        N = n;
        ColumnsA = columnsA;
        ColumnsB = columnsB;
        Mean = mean;
        Scatter = scatter;
        Minibatch = minibatch;
    }

    /// <summary>Samples accumulated.</summary>
    public long N { get; }

    public int ColumnsA { get; }

    public int ColumnsB { get; }

    public int Columns => ColumnsA + ColumnsB;

    /// <summary>Column means of [A|B] (length D).</summary>
    public double[] Mean { get; }

    /// <summary>Centred scatter of [A|B], row-major D × D, symmetric (both triangles filled).</summary>
    public double[] Scatter { get; }

    /// <summary>Sums of the unbiased HSIC estimates over minibatches, when requested.</summary>
    public MinibatchHsic? Minibatch { get; }
}

/// <summary>
/// Sums over minibatches of the unbiased HSIC estimator (Song et al. 2012) with linear kernels,
/// from which minibatch CKA (Nguyen, Raghu and Kornblith 2021) is their normalised ratio.
/// </summary>
public sealed record MinibatchHsic(int BatchSize, long Batches, double SumAB, double SumAA, double SumBB)
{
    /// <summary>CKA_minibatch = mean HSIC(A,B) / sqrt(mean HSIC(A,A) · mean HSIC(B,B)).</summary>
    public double Cka => Batches == 0 ? double.NaN : SumAB / Math.Sqrt(SumAA * SumBB);
}
