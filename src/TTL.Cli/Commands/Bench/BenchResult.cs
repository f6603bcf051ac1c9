namespace TTL.Cli.Commands.Bench;

/// <summary>
/// One side-by-side measurement: our median time and the reference's on the same work.
/// Speedup = reference / ours, so above 1 means the toolkit is faster (CLI.md).
/// </summary>
public sealed record BenchResult(string Name, double OursMs, string Reference, double ReferenceMs,
    IReadOnlyDictionary<string, object>? Extra = null)
{
    public double Speedup => ReferenceMs / OursMs;
}

/// <summary>
/// What every bench gets: thread count (same on both sides), repetitions, a log for progress, and
/// for benches that take <c>--device</c> the device named (cpu otherwise).
/// </summary>
public sealed record BenchContext(int Threads, int Runs, TextWriter Log, string Device = "cpu");

/// <summary>A named benchmark in `ttl bench`; <see cref="TakesDevice"/> adds a --device option.</summary>
public sealed record BenchSpec(string Name, string Description, Func<BenchContext, IReadOnlyList<BenchResult>> Run, bool TakesDevice = false);
