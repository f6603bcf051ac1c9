using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Training.Distributed;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench ddp`: what data parallelism buys on this machine. The MedicalNet ResNet-18 SGD step
/// of `bench train` on a global batch of 4×1×64³: one process with all threads, then 2 ranks with
/// one thread each (c10d Gloo on loopback: our bucketed gradient all-reduce and rank-0 buffers),
/// against PyTorch doing the same (a plain loop; DistributedDataParallel over Gloo). Per side,
/// the scaling is the one-process step time over the 2-rank step time.
/// </summary>
public static class DdpBench
{
    private const int GlobalBatch = 4, Size = 64, Ranks = 2;

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        string trainRef = ReferenceScript.Extract("train_ref.py");
        ctx.Log.WriteLine($"bench ddp: ours, 1 process × {ctx.Threads} thread(s) …");
        double ours1 = Timing.Median(Steps(DistributedContext.Single, ctx.Threads, ctx.Runs).Step);
        ctx.Log.WriteLine($"bench ddp: ours, {Ranks} ranks × 1 thread …");
        var stdout = new StringWriter();
        int code = LocalLauncher.Run(Ranks, ["bench", "ddp-rank", "--runs", ctx.Runs.ToString()], stdout, ctx.Log);
        if (code != 0) throw new InvalidOperationException($"bench ddp: our ranks failed (exit code {code})");
        var rank0 = JsonDocument.Parse(stdout.ToString().Trim().Split('\n')[^1]).RootElement;
        double ours2 = MedianOf(rank0, "ms"), oursSync = MedianOf(rank0, "sync_ms");

        ctx.Log.WriteLine("bench ddp: reference, 1 process …");
        var ref1 = ReferenceScript.Run("ddp_ref.py", ctx.Threads, trainRef, "1", GlobalBatch.ToString(), Size.ToString(), ctx.Runs.ToString());
        ctx.Log.WriteLine($"bench ddp: reference, DistributedDataParallel over {Ranks} ranks …");
        var ref2 = ReferenceScript.Run("ddp_ref.py", ctx.Threads, trainRef, Ranks.ToString(), GlobalBatch.ToString(), Size.ToString(), ctx.Runs.ToString());
        double theirs1 = MedianOf(ref1, "ms"), theirs2 = MedianOf(ref2, "ms");
        string refName = "python3-torch " + ref1.GetProperty("version").GetString();
        string shape = $"{GlobalBatch}x1x{Size}^3";
        return
        [
            new($"ddp.resnet18.sgd_step.{shape}.1_process", ours1, refName, theirs1, new Dictionary<string, object>
            {
                ["threads"] = ctx.Threads,
            }),
            new($"ddp.resnet18.sgd_step.{shape}.{Ranks}_ranks", ours2, refName + " DistributedDataParallel (gloo)", theirs2, new Dictionary<string, object>
            {
                ["threads_per_rank"] = 1,
                ["ours_gradient_sync_ms"] = Math.Round(oursSync, 1),
                ["ours_scaling"] = Math.Round(ours1 / ours2, 3),
                ["reference_scaling"] = Math.Round(theirs1 / theirs2, 3),
            }),
        ];
    }

    private static double MedianOf(JsonElement result, string key) =>
        Timing.Median(result.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToList());

    /// <summary>The hidden `ttl bench ddp-rank` that each of our ranks runs; rank 0 prints its step times.</summary>
    public static Command RankCommand()
    {
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 5 };
        var cmd = new Command("ddp-rank", "one rank of `ttl bench ddp` (started by it)") { runs };
        cmd.Hidden = true;
        cmd.SetAction(pr =>
        {
            using var dist = DistributedContext.Join(LaunchEnvironment.FromProcess(), TimeSpan.FromSeconds(120));
            var (times, sync) = Steps(dist, 1, pr.GetValue(runs));
            if (dist.IsMain) Console.WriteLine(JsonSerializer.Serialize(new { ms = times, sync_ms = sync }));
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// Warm-up plus <paramref name="runs"/> timed steps on this rank's share of the global batch:
    /// whole steps, and the part spent summing gradients and copying buffers across the ranks.
    /// </summary>
    private static (List<double> Step, List<double> Sync) Steps(DistributedContext dist, int threads, int runs)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        using var model = new StrategyBuilder("resnet18", TaskKind.Classification, 2).Build("scratch", null);
        var net = model.Network;
        dist.BroadcastState(net);
        var parameters = net.parameters().ToList();
        var reducer = dist.Group is { } g ? new GradientReducer(g, parameters, 25L << 20) : null;
        using var optimizer = torch.optim.SGD(parameters, 0.01, momentum: 0.9);
        int local = GlobalBatch / dist.WorldSize;
        torch.manual_seed(1 + dist.Rank);
        using var x = torch.randn(local, 1, Size, Size, Size);
        using var y = torch.tensor(Enumerable.Range(0, local).Select(i => (long)(i % 2)).ToArray(), local);
        var times = new List<double>();
        var syncs = new List<double>();
        for (int k = 0; k <= runs; k++)
        {
            long t0 = Stopwatch.GetTimestamp();
            double sync = 0;
            using (torch.NewDisposeScope())
            {
                (F.cross_entropy(net.call(x), y) * (1.0 / dist.WorldSize)).backward();
                long s0 = Stopwatch.GetTimestamp();
                reducer?.AllReduce();
                sync += Stopwatch.GetElapsedTime(s0).TotalMilliseconds;
                optimizer.step();
                optimizer.zero_grad();
                s0 = Stopwatch.GetTimestamp();
                if (reducer is not null) dist.BroadcastBuffers(net);
                sync += Stopwatch.GetElapsedTime(s0).TotalMilliseconds;
            }
            if (k == 0) continue;
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            syncs.Add(sync);
        }
        return (times, syncs);
    }
}
