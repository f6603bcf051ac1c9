using TTL.Cuda;
using TTL.Imaging.Cuda;

namespace TTL.Imaging.Pipelines;

/// <summary>
/// Where a pipeline's steps run: on the CPU (the transforms themselves) or on a GPU
/// (<see cref="GpuPipeline"/>, which gives the same results). Preprocessing, the cache and the
/// training data pipeline take one, so a device choice reaches every step.
/// </summary>
public sealed class PipelineRunner
{
    private PipelineRunner(GpuDevice? gpu) => Gpu = gpu;

    public static PipelineRunner Cpu { get; } = new(null);

    public static PipelineRunner On(GpuDevice gpu) => new(gpu);

    /// <summary>The GPU the steps run on; null for the CPU.</summary>
    public GpuDevice? Gpu { get; }

    public Sample ApplyDeterministic(Pipeline p, Sample s) => Gpu is null ? p.ApplyDeterministic(s) : GpuPipeline.ApplyDeterministic(Gpu, p, s);

    public Sample ApplyRandom(Pipeline p, Sample s, long seed) => Gpu is null ? p.ApplyRandom(s, seed) : GpuPipeline.ApplyRandom(Gpu, p, s, seed);

    /// <summary>Steps of <paramref name="p"/> that run on the CPU all the same (none on the CPU runner).</summary>
    public IReadOnlyList<string> CpuSteps(Pipeline p) => Gpu is null ? [] : GpuPipeline.CpuSteps(p.Steps);
}
