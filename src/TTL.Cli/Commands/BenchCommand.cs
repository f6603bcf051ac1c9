using System.CommandLine;
using System.Runtime.InteropServices;
using TTL.Cli.Commands.Bench;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl bench &lt;what&gt;`: runs the toolkit and its reference implementation side by side in one
/// process tree, with the same thread count, and prints medians and the speedup (reference / ours).
/// To add a bench: write Bench/&lt;What&gt;Bench.cs with a static method
/// <c>IReadOnlyList&lt;BenchResult&gt; Run(BenchContext ctx)</c> and add one line to <see cref="Benches"/>.
/// </summary>
public static class BenchCommand
{
    public static readonly BenchSpec[] Benches =
    [
        new("binding", "3D conv-BN-ReLU stack forward+backward and per-op overhead: C# binding vs python3-torch on the same libtorch", BindingBench.Run),
        new("nifti", "read a 512×512×300 int16 volume (.nii.gz and .nii) to floats: TTL.Imaging vs nibabel get_fdata()", NiftiBench.Run),
        new("svcca", "SVCCA on 200,000×512 per side vs the published NumPy code path, and a streamed 2,000,000×256 case", SvccaBench.Run),
        new("train", "ResNet-18 3D SGD step on 2x1x64^3: toolkit vs a plain python3-torch loop (samples/s), and the trainer's data-wait fraction with 2 workers; --device cuda needs a CUDA libtorch", TrainBench.Run, TakesDevice: true),
        new("kernels", "TTL.Cuda's kernels on 128^3 and 512^3 volumes, timed with CUDA events: GB/s against the device's peak and vs PyTorch CUDA; SVCCA vs the CPU backend (a GPU only: the CUDA simulator is refused)", KernelsBench.Run, TakesDevice: true),
        new("ddp", "data-parallel ResNet-18 SGD step, global batch 4x1x64^3: 1 process vs 2 ranks over c10d Gloo, ours vs python3-torch DistributedDataParallel (scaling per side)", DdpBench.Run),
        new("preprocess", "reorient LPS→RAS + resample 0.7→1.5 mm trilinear + z-score on 512×512×300: TTL.Imaging vs nibabel + scipy + numpy", PreprocessBench.Run),
    ];

    public static Command Create()
    {
        var cmd = new Command("bench", "side-by-side benchmarks against the reference implementations, printing ratios");
        foreach (var spec in Benches) cmd.Subcommands.Add(CreateOne(spec));
        cmd.Subcommands.Add(DdpBench.RankCommand());
        return cmd;
    }

    private static Command CreateOne(BenchSpec spec)
    {
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var runs = new Option<int>("--runs") { Description = "timed repetitions per side (median reported)", DefaultValueFactory = _ => 5 };
        var device = CommonOptions.Device();
        var cmd = new Command(spec.Name, spec.Description) { json, threads, runs };
        if (spec.TakesDevice) cmd.Options.Add(device);
        cmd.SetAction(pr =>
        {
            int t = pr.GetValue(threads);
            int r = pr.GetValue(runs);
            if (t < 1) throw new UsageException("--threads must be at least 1");
            if (r < 1) throw new UsageException("--runs must be at least 1");
            TTL.Torch.torch.set_num_threads(t);
            string dev = spec.TakesDevice ? pr.GetValue(device)! : "cpu";
            var results = spec.Run(new BenchContext(t, r, pr.GetValue(json) ? TextWriter.Null : Console.Error, dev));
            if (pr.GetValue(json)) CommonOptions.PrintJson(new { host = Host(t, dev), benchmarks = results.Select(ToJson).ToArray() });
            else PrintTable(spec.Name, t, results);
            return 0;
        });
        return cmd;
    }

    private static object ToJson(BenchResult r)
    {
        var d = new Dictionary<string, object?>
        {
            ["name"] = r.Name,
            ["ours_ms"] = Math.Round(r.OursMs, 4),
            ["reference"] = r.Reference,
            // NaN: the reference did not run (e.g. it does not fit in memory); JSON has no NaN.
            ["reference_ms"] = double.IsNaN(r.ReferenceMs) ? null : Math.Round(r.ReferenceMs, 4),
            ["speedup"] = double.IsNaN(r.Speedup) ? null : Math.Round(r.Speedup, 3),
        };
        if (r.Extra is not null) foreach (var (k, v) in r.Extra) d[k] = v;
        return d;
    }

    private static object Host(int threads, string device) => new
    {
        cpu = CpuName(),
        threads,
        cores = Environment.ProcessorCount,
        gpu = device == "cpu" ? null : GpuName(device),
        os = RuntimeInformation.OSDescription,
        dotnet = RuntimeInformation.FrameworkDescription,
        libtorch = TTL.Torch.torch.version,
    };

    private static void PrintTable(string what, int threads, IReadOnlyList<BenchResult> results)
    {
        Console.WriteLine($"ttl bench {what} — {CpuName()}, {threads} thread(s), medians");
        int w = Math.Max(12, results.Max(r => r.Name.Length));
        Console.WriteLine($"{"benchmark".PadRight(w)}  {"ours ms",10}  {"reference ms",12}  {"speedup",8}  reference");
        foreach (var r in results)
            Console.WriteLine(double.IsNaN(r.ReferenceMs)
                ? $"{r.Name.PadRight(w)}  {r.OursMs,10:F3}  {"—",12}  {"—",8}  {r.Reference}"
                : $"{r.Name.PadRight(w)}  {r.OursMs,10:F3}  {r.ReferenceMs,12:F3}  {r.Speedup,7:F2}x  {r.Reference}");
        foreach (var r in results.Where(r => r.Extra is not null))
            Console.WriteLine($"  {r.Name}: " + string.Join(", ", r.Extra!.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    /// <summary>The GPU a --device bench ran on, as the driver names it (the simulator cannot get here: benches refuse it).</summary>
    private static string? GpuName(string device)
    {
        var driver = TTL.Cuda.Driver.CudaDriver.Default;
        if (!driver.IsAvailable) return null;
        var d = TTL.Torch.Device.Parse(device == "auto" ? "cuda" : device);
        return TTL.Cuda.Driver.CudaDevice.Get(Math.Max(0, d.Index), driver).ToString();
    }

    internal static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
