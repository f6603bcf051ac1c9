using System.Diagnostics;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Training;
using TTL.Training.Config;
using TTL.Training.Demo;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench train`: (1) one SGD step of a MedicalNet ResNet-18 on a 2×1×64³ batch, through the
/// toolkit (model from TTL.Models, optimizer from TTL.Torch) and through a plain python3-torch loop
/// over the same architecture and batch shape, alternating, same threads; samples/s both sides.
/// (2) the fraction of step time the toolkit's trainer waits for data with 2 loader workers, on a
/// synthetic NIfTI dataset read, cached and augmented by the real pipeline. With --device cuda
/// both sides train on the GPU (the step timed to a synchronisation).
/// </summary>
public static class TrainBench
{
    private const int Batch = 2, Size = 64;

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        // --device cuda: both sides train on the GPU (ours through a CUDA libtorch, which a CPU build refuses).
        TrainCommand.CheckDevice(ctx.Device);
        var device = Experiment.TrainingDevice(ctx.Device);
        string suffix = device.IsCuda ? ".cuda" : "";
        using var reference = new ReferenceProcess("train_ref.py", ctx.Threads, Batch.ToString(), Size.ToString(), device.ToString());
        string refName = "python3-torch " + reference.Hello.GetProperty("version").GetString();

        torch.manual_seed(0);
        using var model = new StrategyBuilder("resnet18", TaskKind.Classification, 2).Build("scratch", null);
        var net = model.Network;
        if (device.IsCuda) net.to(device);
        long parameters = net.parameters().Sum(p => p.numel());
        long refParameters = reference.Hello.GetProperty("parameters").GetInt64();
        if (parameters != refParameters)
            throw new InvalidOperationException($"bench train: our ResNet-18 has {parameters} parameters, the reference {refParameters}");
        using var optimizer = torch.optim.SGD(net.parameters(), 0.01, momentum: 0.9);
        using var x = torch.randn([Batch, 1, Size, Size, Size], DType.Float32, device);
        using var hostY = torch.tensor(Enumerable.Range(0, Batch).Select(i => (long)(i % 2)).ToArray(), Batch);
        using var y = hostY.to(device);

        void Step()
        {
            using var scope = torch.NewDisposeScope();
            F.cross_entropy(net.call(x), y).backward();
            optimizer.step();
            optimizer.zero_grad();
            if (device.IsCuda) torch.cuda.synchronize(Math.Max(0, device.Index));
        }

        Step();
        reference.Ask("step");
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int k = 0; k < ctx.Runs; k++)
        {
            theirs.Add(reference.Ask("step").GetProperty("ms").GetDouble());
            long t0 = Stopwatch.GetTimestamp();
            Step();
            ours.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            ctx.Log.WriteLine($"bench train: step {k + 1}/{ctx.Runs}: ours {ours[^1]:F0} ms, reference {theirs[^1]:F0} ms");
        }
        double o = Timing.Median(ours), r = Timing.Median(theirs);

        var wait = DataWait(ctx);
        return
        [
            new("train.resnet18.sgd_step.2x1x64^3" + suffix, o, refName, r, new Dictionary<string, object>
            {
                ["ours_samples_per_s"] = Math.Round(Batch * 1000 / o, 3),
                ["reference_samples_per_s"] = Math.Round(Batch * 1000 / r, 3),
                ["time_ratio"] = Math.Round(o / r, 4),
            }),
            new("train.data_wait_fraction.2_workers" + suffix, wait.StepMs, "toolkit trainer (no reference)", double.NaN, new Dictionary<string, object>
            {
                ["data_wait_fraction"] = Math.Round(wait.Fraction, 4),
                ["workers"] = 2,
                ["dataset"] = "ttl demo-data target, 60 cases 32^3 (NIfTI, cached pipeline + random flips)",
            }),
        ];
    }

    /// <summary>One epoch of the real trainer on demo data with 2 workers: mean step time and data-wait fraction.</summary>
    private static (double StepMs, double Fraction) DataWait(BenchContext ctx)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ttl-bench-train-" + Environment.ProcessId);
        try
        {
            DemoData.Write(dir, DemoTask.Target, 60, [32, 32, 32], seed: 1, ctx.Threads);
            string pipeline = Path.Combine(dir, "pipeline.yaml");
            File.WriteAllText(pipeline, "transforms:\n- name: zscore\n- name: random_flip\n  axes: [0, 1, 2]\n");
            var cfg = new ExperimentConfig
            {
                Data = new DataConfig { Dataset = Path.Combine(dir, "target", "dataset.json"), Pipeline = pipeline, Cache = Path.Combine(dir, "cache") },
                Model = new ModelConfig { Arch = "resnet18", Strategy = "scratch" },
                Schedule = new ScheduleConfig { Kind = "constant" },
                Train = new TrainConfig { Epochs = 2, BatchSize = 4, Workers = 2, Prefetch = 8 },
                Threads = ctx.Threads,
                Device = ctx.Device,
            };
            ctx.Log.WriteLine("bench train: two epochs of the trainer with 2 loader workers…");
            var result = new Trainer(cfg, Path.Combine(dir, "run")).Run();
            int steps = (int)Math.Ceiling(45 / 4.0);
            return (result.SecondsPerEpoch * 1000 / steps, result.DataWaitFraction);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
