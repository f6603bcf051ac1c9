namespace TTL.Imaging.Compute;

/// <summary>
/// Thread count for the imaging hot loops. The CLI's <c>--threads</c> sets it once; benchmarks set
/// it to the reference's thread count so both sides run on equal terms.
/// </summary>
public static class Parallelism
{
    private static int _maxThreads = Environment.ProcessorCount;

    public static int MaxThreads
    {
        get => _maxThreads;
        set => _maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "threads must be >= 1");
    }

    internal static ParallelOptions Options => new() { MaxDegreeOfParallelism = _maxThreads };

    /// <summary>Runs body(from, to) over [0, count) in contiguous slabs, one or a few per thread.</summary>
    internal static void ForSlabs(long count, long minPerSlab, Action<long, long> body)
    {
        int slabs = (int)Math.Clamp(count / Math.Max(1, minPerSlab), 1, _maxThreads * 4L);
        if (slabs <= 1 || _maxThreads == 1) { body(0, count); return; }
        Parallel.For(0, slabs, Options, s => body(count * s / slabs, count * (s + 1) / slabs));
    }
}
