namespace TTL.Analysis.Svcca;

/// <summary>How SVCCA reduces and regularises (defaults are those of Raghu et al. 2017).</summary>
public sealed record SvccaOptions
{
    /// <summary>Keep the fewest top singular directions whose variance (squared singular values) reaches this fraction of the total.</summary>
    public double VarianceFraction { get; init; } = 0.99;

    /// <summary>Keep exactly this many directions per side instead (capped at the columns); null: use <see cref="VarianceFraction"/>.</summary>
    public int? Keep { get; init; }

    /// <summary>Fixed kept counts per side (used by the baseline to match the real comparison); overrides the two above.</summary>
    public (int A, int B)? KeepExact { get; init; }

    /// <summary>
    /// Ridge added to each side's kept covariance eigenvalues before whitening, relative to the
    /// largest one: λ ← λ + ε·λ_max. Matches the reference code's ε·I after it rescales each
    /// covariance by its largest magnitude; only matters when a kept direction is (nearly) null.
    /// </summary>
    public double Epsilon { get; init; } = 1e-10;

    public void Validate()
    {
        if (!(VarianceFraction > 0 && VarianceFraction <= 1)) throw new ArgumentException($"variance fraction {VarianceFraction} is not in (0, 1]");
        if (Keep is < 1) throw new ArgumentException($"keep {Keep} must be at least 1");
        if (!(Epsilon >= 0) || double.IsInfinity(Epsilon)) throw new ArgumentException($"epsilon {Epsilon} must be a finite number >= 0");
    }
}
