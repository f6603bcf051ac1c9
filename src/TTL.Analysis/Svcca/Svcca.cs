using TTL.Analysis.Activations;
using TTL.Analysis.Svcca.Cpu;

namespace TTL.Analysis.Svcca;

/// <summary>A comparison together with its random baseline.</summary>
public sealed record SvccaComparison(SvccaResult Result, SvccaResult? Baseline, long BaselineRows);

/// <summary>
/// SVCCA between two activation matrices (Raghu et al. 2017), with PWCCA and CKA, on a backend
/// (CPU by default), plus the random baseline: the same computation on independent Gaussian
/// matrices of the same shapes.
/// </summary>
public static class SvccaAnalysis
{
    /// <summary>Rows the baseline uses at most. Its coefficients grow like √(k/N) as N shrinks, so this cap (and the N actually used) is reported beside it.</summary>
    public const long DefaultBaselineRows = 100_000;

    /// <summary>Streams A and B (paired rows) through an accumulator and analyses the moments.</summary>
    public static SvccaResult Compare(ActivationMatrix a, ActivationMatrix b, SvccaOptions options,
        AccumulatorOptions? accumulator = null, ISvccaBackend? backend = null)
    {
        if (a.Rows != b.Rows)
            throw new InvalidDataException($"{b.Source}: has {b.Rows} samples but {a.Source} has {a.Rows}; both must come from the same inputs");
        backend ??= CpuSvccaBackend.Instance;
        accumulator ??= new AccumulatorOptions();
        using var acc = backend.CreateAccumulator(a.Columns, b.Columns, accumulator);
        int chunk = Math.Max(1, (int)Math.Min(a.Rows, Math.Max(accumulator.BlockRows, 4096)));
        var bufA = new double[(long)chunk * a.Columns];
        var bufB = new double[(long)chunk * b.Columns];
        for (long start = 0; start < a.Rows; start += chunk)
        {
            int n = (int)Math.Min(chunk, a.Rows - start);
            a.CopyRows(start, n, bufA);
            b.CopyRows(start, n, bufB);
            Named(() => acc.Add(bufA.AsSpan(0, n * a.Columns), bufB.AsSpan(0, n * b.Columns), n), a.Source, b.Source);
        }
        var moments = Named(acc.Finish, a.Source, b.Source);
        return Named(() => backend.Analyze(moments, options), a.Source, b.Source);
    }

    /// <summary>Runs a step, reporting unusable data against the file (source) it came from.</summary>
    private static T Named<T>(Func<T> step, string sourceA, string sourceB)
    {
        try
        {
            return step();
        }
        catch (ActivationDataException e)
        {
            throw new InvalidDataException($"{(e.Side == "A" ? sourceA : sourceB)}: {e.Problem}", e);
        }
    }

    private static void Named(Action step, string sourceA, string sourceB) =>
        Named(() => { step(); return 0; }, sourceA, sourceB);

    /// <summary>
    /// The random baseline for a result: independent standard Gaussian A' [N', Ca] and B' [N', Cb]
    /// with N' = min(N, maxRows), generated from <paramref name="seed"/> in blocks (never held
    /// whole), reduced to the same kept counts as the real comparison so that the curves compare
    /// coefficient by coefficient, then the same CCA.
    /// </summary>
    public static (SvccaResult Result, long Rows) Baseline(SvccaResult real, SvccaOptions options, long seed,
        long maxRows = DefaultBaselineRows, AccumulatorOptions? accumulator = null, ISvccaBackend? backend = null)
    {
        backend ??= CpuSvccaBackend.Instance;
        long rows = Math.Min(real.N, maxRows);
        var moments = GaussianMoments(rows, real.ColumnsA, real.ColumnsB, seed, accumulator ?? new AccumulatorOptions(), backend);
        var fixedOptions = options with { KeepExact = (real.KeptA, real.KeptB) };
        return (backend.Analyze(moments, fixedOptions), rows);
    }

    /// <summary>Moments of independent Gaussian matrices, generated in parallel blocks with one stream per block.</summary>
    public static JointMoments GaussianMoments(long rows, int columnsA, int columnsB, long seed, AccumulatorOptions accumulator, ISvccaBackend backend)
    {
        using var acc = backend.CreateAccumulator(columnsA, columnsB, accumulator);
        const int block = 4096;
        var a = new double[block * columnsA];
        var b = new double[block * columnsB];
        for (long start = 0, index = 0; start < rows; start += block, index++)
        {
            int n = (int)Math.Min(block, rows - start);
            long blockIndex = index;
            Parallel.Invoke(
                () => Xoshiro256.ForStream(seed, 2 * blockIndex).FillGaussian(a.AsSpan(0, n * columnsA)),
                () => Xoshiro256.ForStream(seed, 2 * blockIndex + 1).FillGaussian(b.AsSpan(0, n * columnsB)));
            acc.Add(a.AsSpan(0, n * columnsA), b.AsSpan(0, n * columnsB), n);
        }
        return acc.Finish();
    }
}
