using System.Diagnostics;
using TTL.Analysis.Svcca;
using TTL.Analysis.Svcca.Cpu;
using TTL.Analysis.Svcca.Cuda;
using TTL.Cuda;
using TTL.Cuda.Driver;
using TTL.Imaging;
using TTL.Imaging.Augmentation;
using TTL.Imaging.Cuda;
using TTL.Imaging.Intensity;
using TTL.Imaging.Resampling;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench kernels --device cuda`: TTL.Cuda's kernels on volumes of 128³ and 512³: a warm-up,
/// then the median of the runs, timed with CUDA events on the toolkit's stream; achieved GB/s
/// (bytes read + written ÷ time) against the device's peak (2 × memory clock × bus width), and the
/// ratio to the equivalent PyTorch CUDA operation timed the same way by Scripts/kernels_ref.py on
/// the same device. SVCCA (accumulation and analysis) against the toolkit's CPU backend. Every
/// operation's output is checked against the CPU path once before it is timed. The CUDA simulator
/// is refused: its times would describe the host CPU, not a GPU.
/// </summary>
public static class KernelsBench
{
    public static readonly int[] Sizes = [128, 512];
    private const int SvccaRows = 200_000, SvccaColumns = 256;

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        using var dev = DeviceChoice.Open(ctx.Device == "cpu" ? "cuda" : ctx.Device, ctx.Log);
        if (dev.IsSimulated)
            throw new UsageException($"ttl bench kernels: {dev.Name} runs the kernels on the host CPU under a model of a GPU; " +
                "its timings would say nothing about a GPU, so it is not timed (run this on a GPU host: build/device-check does)");
        var gpu = dev.Gpu!;
        double peak = PeakGBps(gpu.Device);
        var results = new List<BenchResult>();
        foreach (int n in Sizes)
        {
            using var set = new KernelWorkloads(gpu, n);
            ctx.Log.WriteLine($"bench kernels: {n}³, reference (PyTorch on {gpu.Device}) …");
            JsonRef(ctx, gpu, n, out var reference, out string refName);
            foreach (var w in set.All)
            {
                set.Verify(w);
                double ms = EventMedianMs(gpu, ctx.Runs, w.Run);
                double gbps = w.Bytes / (ms * 1e-3) / 1e9;
                double refMs = reference.TryGetValue(w.Reference, out var r) ? r : double.NaN;
                ctx.Log.WriteLine($"bench kernels: {w.Name} {ms:F3} ms, {gbps:F0} GB/s ({gbps / peak:P0} of peak)");
                results.Add(new BenchResult($"kernels.{w.Name}.{n}^3", ms, refName, refMs, new Dictionary<string, object>
                {
                    ["gb_per_s"] = Math.Round(gbps, 1),
                    ["peak_gb_per_s"] = Math.Round(peak, 1),
                    ["fraction_of_peak"] = Math.Round(gbps / peak, 4),
                    ["bytes"] = w.Bytes,
                }));
            }
        }
        results.Add(Svcca(ctx, gpu));
        return results;
    }

    /// <summary>Peak memory bandwidth from the driver: 2 transfers per clock (DDR) × bus width.</summary>
    public static double PeakGBps(CudaDevice d) =>
        2.0 * d.Attribute(DeviceAttribute.MemoryClockRateKHz) * 1e3 * d.Attribute(DeviceAttribute.GlobalMemoryBusWidthBits) / 8 / 1e9;

    /// <summary>Median milliseconds of <paramref name="runs"/> runs after one warm-up, between CUDA events on the device's stream.</summary>
    public static double EventMedianMs(GpuDevice gpu, int runs, Action run)
    {
        run();
        gpu.Synchronize();
        using var start = new CudaEvent(gpu.Context);
        using var end = new CudaEvent(gpu.Context);
        var times = new double[runs];
        for (int k = 0; k < runs; k++)
        {
            start.Record(gpu.Stream);
            run();
            end.Record(gpu.Stream);
            end.Synchronize();
            times[k] = end.ElapsedSince(start);
        }
        return Timing.Median(times);
    }

    private static void JsonRef(BenchContext ctx, GpuDevice gpu, int n, out Dictionary<string, double> ms, out string name)
    {
        ms = new Dictionary<string, double>();
        try
        {
            var r = ReferenceScript.Run("kernels_ref.py", ctx.Threads, $"cuda:{gpu.Device.Ordinal}", n.ToString(), ctx.Runs.ToString());
            name = "PyTorch " + r.GetProperty("version").GetString() + " (CUDA)";
            foreach (var p in r.GetProperty("ms").EnumerateObject()) ms[p.Name] = p.Value.GetDouble();
        }
        catch (InvalidOperationException e)
        {
            name = "PyTorch CUDA (did not run: " + e.Message.Split('\n')[0] + ")";
        }
    }

    private static BenchResult Svcca(BenchContext ctx, GpuDevice gpu)
    {
        var rng = new System.Random(7);
        var a = new float[(long)SvccaRows * SvccaColumns];
        var b = new float[a.Length];
        for (long i = 0; i < a.Length; i++)
        {
            a[i] = (float)rng.NextDouble();
            b[i] = 0.5f * a[i] + (float)rng.NextDouble();
        }
        var options = new AccumulatorOptions { Threads = ctx.Threads };
        SvccaResult Compare(ISvccaBackend backend)
        {
            using var acc = backend.CreateAccumulator(SvccaColumns, SvccaColumns, options);
            acc.Add(a, b, SvccaRows);
            return backend.Analyze(acc.Finish(), new SvccaOptions());
        }
        ctx.Log.WriteLine($"bench kernels: SVCCA {SvccaRows}×{SvccaColumns} per side, CPU backend …");
        SvccaResult? cpu = null, cuda = null;
        double cpuMs = Timing.MedianMs(1, () => cpu = Compare(CpuSvccaBackend.Instance), warmup: 0);
        double gpuMs = Timing.MedianMs(ctx.Runs, () => { cuda = Compare(new GpuSvccaBackend(gpu)); gpu.Synchronize(); });
        double diff = cpu!.Cca.Zip(cuda!.Cca).Max(p => Math.Abs(p.First - p.Second));
        return new BenchResult($"kernels.svcca.{SvccaRows}x{SvccaColumns}", gpuMs, $"TTL.Analysis CPU backend ({ctx.Threads} threads)", cpuMs,
            new Dictionary<string, object> { ["max_cca_difference"] = diff });
    }
}

/// <summary>
/// The operations `ttl bench kernels` times, on one n³ volume on the GPU: each with the bytes it
/// must move, the kernel launches of one run, and a check of its output against the CPU path.
/// </summary>
public sealed class KernelWorkloads : IDisposable
{
    /// <summary>One timed operation; <see cref="Reference"/> names the PyTorch counterpart in kernels_ref.py.</summary>
    public sealed record Workload(string Name, string Reference, long Bytes, Action Run);

    private readonly GpuDevice _gpu;
    private readonly Volume _volume;
    private readonly GpuVolume _source;
    private GpuVolume _scratch;   // what the in-place operations work on
    private readonly double[,] _map;
    private GpuVolume? _output;

    public KernelWorkloads(GpuDevice gpu, int n)
    {
        _gpu = gpu;
        var rng = new System.Random(n);
        var data = GC.AllocateUninitializedArray<float>(checked(n * n * n));
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2000 - 1000);
        _volume = new Volume(data, 1, [n, n, n], new double[,] { { -0.8, 0, 0, 100 }, { 0, -0.8, 0, 90 }, { 0, 0, 1.2, -50 }, { 0, 0, 0, 1 } });
        _source = GpuVolume.Upload(gpu, _volume);
        _scratch = GpuVolume.Upload(gpu, _volume);
        _map = SpatialAugment.AffineMap([n, n, n], [1, 1, 1], [0.2, -0.1, 0.3], [1.05, 0.95, 1.0], [2, -1, 0.5]);
        long bytes = 4L * n * n * n;
        All =
        [
            new("resample.trilinear", "grid_sample", 2 * bytes, () => Keep(GpuResample.MapVoxels(_source, [n, n, n], _map, Interpolation.Linear))),
            new("reorient.transpose", "permute", 2 * bytes, () => Keep(GpuLayout.Reorient(_source, "SPL"))),
            new("zscore", "zscore", 3 * bytes, () => GpuIntensity.ZScore(_scratch)),
            new("percentiles.0.5_99.5", "quantile", 3 * bytes, () => GpuIntensity.Percentiles(_source, [0.5, 99.5])),
            new("gaussian_noise", "randn_add", 2 * bytes, () => GpuIntensity.GaussianNoise(_scratch, 0, 1, seed: 1)),
        ];
    }

    public IReadOnlyList<Workload> All { get; }

    private void Keep(GpuVolume v)
    {
        _output?.Dispose();
        _output = v;
    }

    /// <summary>Runs <paramref name="w"/> once on fresh input and compares its output with the CPU path's (as the parity tests do).</summary>
    public void Verify(Workload w)
    {
        Refill();
        var copy = new Volume((float[])_volume.Data.Clone(), 1, _volume.Shape, _volume.Affine);
        switch (w.Name)
        {
            case "resample.trilinear":
                w.Run();
                Same(Resample.MapVoxels(_volume, _volume.Shape, _map, Interpolation.Linear), _output!.Download().Data, w.Name);
                break;
            case "reorient.transpose":
                w.Run();
                Same(Orientation.Reorient(_volume, "SPL").Data, _output!.Download().Data, w.Name);
                break;
            case "zscore":
                w.Run();
                IntensityOps.ZScore(copy);
                Same(copy.Data, _scratch.Download().Data, w.Name);
                break;
            case "percentiles.0.5_99.5":
                if (!Percentile.Of(_volume.Data, [0.5, 99.5]).SequenceEqual(GpuIntensity.Percentiles(_source, [0.5, 99.5])))
                    throw new InvalidOperationException($"{w.Name}: the GPU's percentiles differ from the CPU's");
                break;
            case "gaussian_noise":
                w.Run();
                IntensityAugment.GaussianNoise(copy.Data, 0, 1, 1);
                Same(copy.Data, _scratch.Download().Data, w.Name);
                break;
            default:
                throw new InvalidOperationException($"no check for {w.Name}");
        }
        Refill();
    }

    /// <summary>The scratch volume again as the source was.</summary>
    private void Refill()
    {
        var fresh = GpuVolume.Upload(_gpu, _volume);
        _scratch.Dispose();
        _scratch = fresh;
    }

    private static void Same(float[] cpu, float[] gpu, string what)
    {
        for (int i = 0; i < cpu.Length; i++)
            if (!(Math.Abs(cpu[i] - gpu[i]) <= 1e-5 * Math.Max(1, Math.Abs(cpu[i]))) && !(float.IsNaN(cpu[i]) && float.IsNaN(gpu[i])))
                throw new InvalidOperationException($"{what}: voxel {i} is {gpu[i]} on the GPU and {cpu[i]} on the CPU");
    }

    public void Dispose()
    {
        _output?.Dispose();
        _source.Dispose();
        _scratch.Dispose();
    }
}
