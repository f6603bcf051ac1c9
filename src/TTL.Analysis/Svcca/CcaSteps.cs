namespace TTL.Analysis.Svcca;

/// <summary>
/// The host-side arithmetic of SVCCA that both backends share, so the CPU and CUDA paths choose
/// the same directions and weigh them the same way; only the decompositions run where the backend runs.
/// </summary>
internal static class CcaSteps
{
    /// <summary>One side's SVD reduction: kept count, kept eigenvalues (descending), whitening 1/√(λ + ridge), explained fraction.</summary>
    internal sealed record Kept(int Count, double[] Eigenvalues, double[] Whitening, double Explained);

    /// <summary>
    /// Chooses the top directions from a side's scatter eigenvalues in the ascending order eigh and
    /// syevd return them: by variance fraction, fixed count or exact count; round-off negatives count as 0.
    /// </summary>
    public static Kept Choose(ReadOnlySpan<double> ascending, string side, SvccaOptions o, int? exact)
    {
        int c = ascending.Length;
        var lambda = new double[c];
        for (int i = 0; i < c; i++) lambda[i] = Math.Max(ascending[c - 1 - i], 0);
        double total = lambda.Sum();
        if (!(total > 0)) throw new ActivationDataException(side, "every column is constant (zero variance)");
        int k;
        if (exact is int e) k = Math.Clamp(e, 1, c);
        else if (o.Keep is int keep) k = Math.Min(keep, c);
        else
        {
            double cum = 0;
            k = c;
            for (int i = 0; i < c; i++)
            {
                cum += lambda[i];
                if (cum / total >= o.VarianceFraction) { k = i + 1; break; }
            }
        }
        double ridge = o.Epsilon * lambda[0];
        var kept = lambda[..k];
        var whitening = kept.Select(l => 1 / Math.Sqrt(l + ridge)).ToArray();
        if (whitening.Any(w => !double.IsFinite(w)))
            throw new ActivationDataException(side, $"kept direction {Array.FindIndex(whitening, w => !double.IsFinite(w)) + 1} has zero variance; use a smaller --keep or a positive --epsilon");
        return new Kept(k, kept, whitening, kept.Sum() / total);
    }

    /// <summary>PWCCA scale per kept direction of A: λ_i·w_i (so that A_cᵀh_i = U_a diag(λ·w) q_i).</summary>
    public static double[] ProjectionScale(Kept a) => a.Eigenvalues.Zip(a.Whitening, (l, w) => l * w).ToArray();

    /// <summary>PWCCA from the canonical correlations and the unnormalised weights α_i = ‖A_cᵀh_i‖₁.</summary>
    public static (double Pwcca, double[] Weights) Pwcca(double[] alpha, double[] cca)
    {
        double alphaSum = alpha.Sum();
        var weights = alpha.Select(x => x / alphaSum).ToArray();
        double pwcca = 0;
        for (int i = 0; i < cca.Length; i++) pwcca += weights[i] * cca[i];
        return (pwcca, weights);
    }
}
