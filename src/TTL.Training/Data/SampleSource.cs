using System.Collections.Concurrent;
using TTL.Imaging;
using TTL.Imaging.CropPad;
using TTL.Imaging.Datasets;
using TTL.Imaging.Pipelines;

namespace TTL.Training.Data;

/// <summary>
/// Turns dataset cases into <see cref="PreparedSample"/>s: reads the files, applies the
/// pipeline's deterministic steps once per case (kept in memory up to a budget, then in the disk
/// cache when one is configured), then per item the random steps (training only) and, for
/// segmentation training, a patch with the configured foreground ratio. An item's randomness
/// depends only on (seed, epoch, position in the epoch), so any worker may produce it and the
/// result is the same.
/// </summary>
public sealed class SampleSource
{
    private readonly IReadOnlyList<DatasetCase> _cases;
    private readonly Pipeline _pipeline;
    private readonly PipelineCache? _disk;
    private readonly ConcurrentDictionary<int, Lazy<Sample>> _memory = new();
    private readonly long _memoryBudget;
    private readonly PipelineRunner _runner;
    private long _memoryUsed;

    /// <param name="runner">Where the pipeline's steps run (default: the CPU); the results are the same.</param>
    public SampleSource(IReadOnlyList<DatasetCase> cases, Pipeline? pipeline, string? cacheDir, bool segmentation,
        int[]? patchSize, double foregroundRatio, long memoryBudgetBytes = 4L << 30, PipelineRunner? runner = null)
    {
        _runner = runner ?? PipelineRunner.Cpu;
        _cases = cases;
        _pipeline = pipeline ?? new Pipeline([]);
        _disk = cacheDir is null ? null : new PipelineCache(cacheDir);
        Segmentation = segmentation;
        PatchSize = patchSize;
        ForegroundRatio = foregroundRatio;
        _memoryBudget = memoryBudgetBytes;
    }

    public int Count => _cases.Count;
    public bool Segmentation { get; }
    public int[]? PatchSize { get; }
    public double ForegroundRatio { get; }
    public IReadOnlyList<DatasetCase> Cases => _cases;
    public PipelineRunner Runner => _runner;

    /// <summary>The deterministic result for a case (shared: do not modify).</summary>
    public Sample Deterministic(int caseIndex)
    {
        if (_memory.TryGetValue(caseIndex, out var cached)) return cached.Value;
        var c = _cases[caseIndex];
        Sample Compute() => _disk is null
            ? _runner.ApplyDeterministic(_pipeline, CaseLoader.Load(c))
            : _disk.GetOrCompute(_pipeline, c, () => CaseLoader.Load(c), _runner).Sample;
        if (Interlocked.Read(ref _memoryUsed) >= _memoryBudget) return Compute();
        var lazy = _memory.GetOrAdd(caseIndex, _ => new Lazy<Sample>(() =>
        {
            var s = Compute();
            Interlocked.Add(ref _memoryUsed, 4L * (s.Image.Data.LongLength + (s.Label?.Data.LongLength ?? 0)));
            return s;
        }));
        return lazy.Value;
    }

    /// <summary>An item: random steps and patch sampling only when <paramref name="train"/>.</summary>
    public PreparedSample Prepare(int caseIndex, long itemSeed, bool train)
    {
        var c = _cases[caseIndex];
        var deterministic = Deterministic(caseIndex);
        var s = deterministic;
        if (train && _pipeline.RandomSteps.Any())
            s = _runner.ApplyRandom(_pipeline, new Sample(Clone(s.Image), s.Label is null ? null : Clone(s.Label), s.Id), itemSeed);
        Volume image = s.Image, label = s.Label!;
        if (train && Segmentation && PatchSize is not null)
        {
            var rng = new Random(unchecked((int)(itemSeed ^ (itemSeed >> 31))));
            var start = PatchSampler.Start(s.Label!, PatchSize, ForegroundRatio, rng);
            image = CropPad.Region(s.Image, start, PatchSize);
            label = CropPad.Region(s.Label!, start, PatchSize);
        }
        // Copies: the deterministic result is shared between epochs and workers.
        return new PreparedSample(c.Id, Own(image, deterministic.Image), image.Channels, image.Shape,
            c.ClassLabel, Segmentation ? Own(label, deterministic.Label) : null);
    }

    /// <summary>The voxels of <paramref name="v"/>, copied when they are the shared deterministic result.</summary>
    private static float[] Own(Volume v, Volume? shared) => ReferenceEquals(v, shared) ? (float[])v.Data.Clone() : v.Data;

    private static Volume Clone(Volume v) => new((float[])v.Data.Clone(), v.Channels, v.Shape, v.Affine) { Header = v.Header };
}
