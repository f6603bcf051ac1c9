namespace TTL.Training.Metrics;

/// <summary>One method's metric over seeds: the mean and standard deviation of the per-seed values, and a confidence interval of the mean.</summary>
public sealed record MetricSummary(double Mean, double Sd, double Lo, double Hi, IReadOnlyList<double> PerSeed);

/// <summary>
/// A method minus the reference, paired by seed and test case: the mean difference, its confidence
/// interval, the bootstrap probability that the difference is positive, and in how many seeds it was.
/// </summary>
public sealed record PairedDifference(double Mean, double Lo, double Hi, double ProbabilityPositive, int SeedsPositive, int Seeds);

/// <summary>
/// A two-level, paired percentile bootstrap for comparing training methods evaluated on one shared
/// test set over several seeds (each seed: its own training data and initialisation). Each
/// replicate draws the seeds with replacement and, independently, the test cases with replacement;
/// every method is scored on the same drawn cases and its per-seed metrics are averaged over the
/// drawn seeds. The interval thus reflects both sources of variation: which small training set and
/// initialisation a seed got, and which test cases were sampled. Differences against the reference
/// method use the same draws (paired), so variation shared by both methods cancels.
/// </summary>
public static class SeedCaseBootstrap
{
    /// <summary>A metric of one run on a subset of the test cases (indices, repeats allowed); null means all cases.</summary>
    public delegate double CaseMetric(int[]? cases);

    /// <param name="runs">[method][seed]: every method has the same seeds, every run the same <paramref name="cases"/> test cases.</param>
    /// <param name="reference">The method the differences are taken against, or null for none.</param>
    public static (MetricSummary[] Summaries, PairedDifference?[] Differences) Run(IReadOnlyList<IReadOnlyList<CaseMetric>> runs, int cases,
        int? reference, int replicates, long seed, double level = 0.95)
    {
        int methods = runs.Count;
        if (methods == 0) throw new ArgumentException("no method to summarise");
        int seeds = runs[0].Count;
        if (seeds == 0 || runs.Any(r => r.Count != seeds)) throw new ArgumentException("every method needs the same number (at least one) of seeds");
        if (cases < 1) throw new ArgumentException("no test case");
        if (replicates < 1) throw new ArgumentException("at least one bootstrap replicate is needed");
        if (reference is int r0 && (r0 < 0 || r0 >= methods)) throw new ArgumentOutOfRangeException(nameof(reference));

        var perSeed = runs.Select(m => m.Select(run => run(null)).ToArray()).ToArray();
        var estimates = new double[methods][];
        for (int m = 0; m < methods; m++) estimates[m] = new double[replicates];
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var drawnCases = new int[cases];
        var drawnSeeds = new int[seeds];
        var cache = new double[seeds];
        for (int b = 0; b < replicates; b++)
        {
            for (int i = 0; i < cases; i++) drawnCases[i] = rng.Next(cases);
            for (int s = 0; s < seeds; s++) drawnSeeds[s] = rng.Next(seeds);
            for (int m = 0; m < methods; m++)
            {
                // Each distinct drawn seed is scored once per replicate.
                Array.Fill(cache, double.NaN);
                double sum = 0;
                int finite = 0;
                foreach (int s in drawnSeeds)
                {
                    if (double.IsNaN(cache[s])) cache[s] = runs[m][s](drawnCases);
                    if (double.IsFinite(cache[s])) { sum += cache[s]; finite++; }
                }
                estimates[m][b] = finite == 0 ? double.NaN : sum / finite;
            }
        }

        double alpha = (1 - level) / 2;
        var summaries = new MetricSummary[methods];
        for (int m = 0; m < methods; m++)
        {
            var values = perSeed[m].Where(double.IsFinite).ToArray();
            double mean = values.Length == 0 ? double.NaN : values.Average();
            double sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
            var sorted = estimates[m].Where(double.IsFinite).Order().ToArray();
            summaries[m] = new MetricSummary(mean, sd, Percentile(sorted, alpha), Percentile(sorted, 1 - alpha), perSeed[m]);
        }

        var differences = new PairedDifference?[methods];
        if (reference is int r)
            for (int m = 0; m < methods; m++)
            {
                if (m == r) continue;
                var d = estimates[m].Zip(estimates[r], (a, c) => a - c).Where(double.IsFinite).Order().ToArray();
                var seedDiffs = perSeed[m].Zip(perSeed[r], (a, c) => a - c).Where(double.IsFinite).ToArray();
                differences[m] = new PairedDifference(seedDiffs.Length == 0 ? double.NaN : seedDiffs.Average(),
                    Percentile(d, alpha), Percentile(d, 1 - alpha),
                    d.Length == 0 ? double.NaN : d.Count(v => v > 0) / (double)d.Length,
                    seedDiffs.Count(v => v > 0), seedDiffs.Length);
            }
        return (summaries, differences);
    }

    /// <summary>The q-quantile of sorted values, linearly interpolated (NumPy's default); NaN when empty.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }
}
