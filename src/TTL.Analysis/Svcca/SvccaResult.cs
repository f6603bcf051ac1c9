namespace TTL.Analysis.Svcca;

/// <summary>The outcome of one SVCCA comparison of A [N, Ca] with B [N, Cb].</summary>
public sealed record SvccaResult
{
    public required long N { get; init; }
    public required int ColumnsA { get; init; }
    public required int ColumnsB { get; init; }

    /// <summary>Singular directions kept on each side.</summary>
    public required int KeptA { get; init; }
    public required int KeptB { get; init; }

    /// <summary>Fraction of each side's variance that the kept directions explain.</summary>
    public required double ExplainedA { get; init; }
    public required double ExplainedB { get; init; }

    /// <summary>Canonical correlations, sorted descending (min(KeptA, KeptB) of them).</summary>
    public required double[] Cca { get; init; }

    public double MeanCca => Cca.Length == 0 ? double.NaN : Cca.Average();

    /// <summary>Projection-weighted CCA (Morcos et al. 2018), weights from A's neurons.</summary>
    public required double Pwcca { get; init; }

    /// <summary>The PWCCA weights, aligned with <see cref="Cca"/> (they sum to 1).</summary>
    public required double[] PwccaWeights { get; init; }

    /// <summary>Linear CKA (Kornblith et al. 2019) on the full centred matrices.</summary>
    public required double Cka { get; init; }

    /// <summary>Minibatch CKA from unbiased HSIC (Nguyen et al. 2021), when it was accumulated.</summary>
    public double? CkaMinibatch { get; init; }
}
