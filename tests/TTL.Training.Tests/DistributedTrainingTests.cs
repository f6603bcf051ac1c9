using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.TestSupport;
using TTL.Torch;
using TTL.Torch.Serialization;
using TTL.Training.Distributed;
using CliProcess = TTL.TestSupport.Cli;

namespace TTL.Training.Tests;

/// <summary>
/// Data-parallel training and the distributed search as users launch them: `--nproc 2`, or two
/// processes given torchrun's variables by hand, c10d Gloo over 127.0.0.1.
/// </summary>
[Collection("training")]
public class DistributedTrainingTests
{
    private static string WriteConfig(TempDir dir, string dataset, int epochs, bool syncBn = true, double timeout = 60, string name = "exp.yaml")
    {
        string path = dir.File(name);
        File.WriteAllText(path, $$"""
            data:
              dataset: {{dataset}}
              split: {kind: kfold, folds: 4, fold: 0}
            model: {arch: resnet10, strategy: scratch}
            optimizer: {kind: sgd, lr: 0.003, momentum: 0.9, nesterov: false, weight_decay: 0.0}
            schedule: {kind: constant}
            train: {epochs: {{epochs}}, batch_size: 4, workers: 1}
            distributed: {sync_bn: {{(syncBn ? "true" : "false")}}, timeout_s: {{timeout}}}
            seed: 5
            threads: 1
            """);
        return path;
    }

    private static IReadOnlyList<TensorRecord> Weights(string run) => ToolkitCheckpoint.Read(Path.Combine(run, "last.ckpt")).Section("model");

    /// <summary>Every float tensor agrees within <paramref name="rtol"/> of its largest magnitude.</summary>
    private static void AssertSameWeights(string expectedRun, string actualRun, double rtol)
    {
        var a = Weights(expectedRun);
        var b = Weights(actualRun);
        Assert.Equal(a.Select(r => r.Name), b.Select(r => r.Name));
        for (int k = 0; k < a.Count; k++)
        {
            if (a[k].DType != DType.Float32) { Assert.True(a[k].Data.Span.SequenceEqual(b[k].Data.Span), a[k].Name); continue; }
            var x = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(a[k].Data.Span).ToArray();
            var y = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b[k].Data.Span).ToArray();
            double scale = Math.Max(1e-6, x.Max(v => Math.Abs(v))), worst = 0;
            for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Math.Abs(x[i] - y[i]));
            Assert.True(worst <= rtol * scale, $"{a[k].Name}: max |diff| {worst:G3} > {rtol} × {scale:G3}");
        }
    }

    private static List<JsonObject> Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    [Fact]
    public void TwoRanksEndWithTheWeightsOfOneProcessTrainingTheSameGlobalBatch()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 20);
        string cfg = WriteConfig(dir, data, epochs: 2);
        var one = CliProcess.Run("train", "--config", cfg, "--out", dir.File("one"), "--quiet");
        Assert.True(one.ExitCode == 0, one.Stderr);
        var two = CliProcess.Run("train", "--config", cfg, "--out", dir.File("two"), "--nproc", "2", "--json");
        Assert.True(two.ExitCode == 0, two.Stderr);
        // Rank 0 alone prints the result document.
        Assert.Equal(2, JsonDocument.Parse(two.Stdout).RootElement.GetProperty("epochs_run").GetInt32());

        // 15 training cases, global batch 4: 4 steps per epoch (the last of 3), 8 SGD steps with synchronised batch norm.
        AssertSameWeights(dir.File("one"), dir.File("two"), 1e-5);
        foreach (var line in Metrics(dir.File("two")))
        {
            Assert.Equal(2, (int)line["world_size"]!);
            Assert.Equal(0.0, (double)line["rank_state_spread"]!); // rank 1 holds exactly rank 0's (checkpointed) weights
        }
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("two"), "summary.json")))!;
        Assert.Equal(2, (int)summary["world_size"]!);
        // The validation the ranks shared (3 + 2 cases) scores as one process scores rank 0's checkpoint.
        var val = Metrics(dir.File("two"))[^1]["val"]!;
        var eval = CliProcess.Run("eval", "--run", dir.File("two"), "--checkpoint", "last", "--threads", "1", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var e = JsonNode.Parse(eval.Stdout)!;
        foreach (var key in new[] { "n", "accuracy", "auroc", "auprc", "f1" })
            Assert.Equal((double)e[key]!, (double)val[key]!, 12);
    }

    [Fact]
    public void ShardedValidationScoresLikeOneProcessEvaluatingTheSameWeights()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Segmentation(dir.File("seg"), 12, size: 16);
        string cfg = dir.File("seg.yaml");
        File.WriteAllText(cfg, $$"""
            data:
              dataset: {{data}}
              split: {kind: kfold, folds: 4, fold: 0}
            model: {arch: unet, strategy: scratch}
            optimizer: {kind: adam, lr: 0.01, weight_decay: 0.0}
            schedule: {kind: constant}
            train: {epochs: 1, batch_size: 2, patch_size: [16, 16, 16], patches_per_case: 2, workers: 1}
            threads: 1
            """);
        var train = CliProcess.Run("train", "--config", cfg, "--out", dir.File("run"), "--nproc", "2", "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        // The 3 validation cases were split 2 + 1 over the ranks during training; one process now scores the same weights.
        var val = Metrics(dir.File("run"))[^1]["val"]!;
        var eval = CliProcess.Run("eval", "--run", dir.File("run"), "--checkpoint", "last", "--threads", "1", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var e = JsonNode.Parse(eval.Stdout)!;
        Assert.Equal(3, (int)val["n"]!);
        Assert.Equal((int)e["n"]!, (int)val["n"]!);
        foreach (var key in new[] { "dice", "hd95" })
            Assert.Equal((double)e[key]!, (double)val[key]!, 12);
        Assert.Equal(e["dice_per_class"]!.ToJsonString(), val["dice_per_class"]!.ToJsonString());
    }

    [Fact]
    public void AKilledRankStopsItsPeerWithAClearErrorAndTheJobResumesExactly()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 16);
        string cfg = WriteConfig(dir, data, epochs: 5, syncBn: false);
        var straight = CliProcess.Run("train", "--config", cfg, "--out", dir.File("straight"), "--nproc", "2", "--quiet");
        Assert.True(straight.ExitCode == 0, straight.Stderr);
        // Without synchronised batch norm the ranks still agree: buffers follow rank 0.
        Assert.All(Metrics(dir.File("straight")), l => Assert.Equal(0.0, (double)l["rank_state_spread"]!));

        using var job = RankPair.Start(cfg, dir.File("run"));
        job.WaitForRank0Line("epoch 2/5", TimeSpan.FromSeconds(120));
        job.Ranks[1].Kill();
        var watch = Stopwatch.StartNew();
        Assert.True(job.Ranks[0].WaitForExit(TimeSpan.FromSeconds(30)), "rank 0 still running 30 s after its peer was killed");
        Assert.NotEqual(0, job.Ranks[0].ExitCode);
        string error = job.Rank0Stderr().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("error: rank 0 of 2: ", error);
        Assert.Contains("a peer rank exited or its connection broke", error);

        // Restarted with the same command and --resume, it continues from last.ckpt to the same end.
        var resumed = CliProcess.Run("train", "--config", cfg, "--out", dir.File("run"), "--nproc", "2", "--resume", "--quiet");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        AssertSameWeights(dir.File("straight"), dir.File("run"), 1e-6);
        Assert.Equal(5, Metrics(dir.File("run")).Count);
    }

    [Fact]
    public void AFrozenRankFailsItsPeerAfterTheConfiguredTimeout()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 16);
        string cfg = WriteConfig(dir, data, epochs: 50, timeout: 4);
        using var job = RankPair.Start(cfg, dir.File("run"));
        job.WaitForRank0Line("epoch 1/50", TimeSpan.FromSeconds(120));
        using (var stop = Process.Start("kill", $"-STOP {job.Ranks[1].Id}")) stop.WaitForExit();
        var watch = Stopwatch.StartNew();
        Assert.True(job.Ranks[0].WaitForExit(TimeSpan.FromSeconds(40)), "rank 0 still waiting 40 s after its peer froze (timeout 4 s)");
        Assert.NotEqual(0, job.Ranks[0].ExitCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(3), $"gave up after {watch.Elapsed.TotalSeconds:F1} s, before the 4 s timeout");
        Assert.Contains("did not answer within the timeout", job.Rank0Stderr());
    }

    [Fact]
    public void TheLocalLauncherStopsEveryRankWhenOneDies()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var stderr = new StringBuilder();
        using var launcher = StartLauncherPastEpochOne(dir, run, stderr);
        var rank1 = RankPair.ProcessesRunning(run).Single(p => RankPair.RankOf(p) == 1);
        rank1.Kill();
        Assert.True(launcher.WaitForExit(TimeSpan.FromSeconds(60)), "the launcher did not return");
        Assert.NotEqual(0, launcher.ExitCode);
        Assert.Contains("error: rank 1 was killed by signal 9", Text(stderr));
        Thread.Sleep(500);
        Assert.Empty(RankPair.ProcessesRunning(run));
    }

    [Fact]
    public void RanksDoNotOutliveALauncherKilledWithSigkill()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var stderr = new StringBuilder();
        using var launcher = StartLauncherPastEpochOne(dir, run, stderr);
        Assert.Equal(2, RankPair.ProcessesRunning(run).Count);
        launcher.Kill(); // SIGKILL: the launcher cannot stop its ranks itself
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (RankPair.ProcessesRunning(run).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(200);
        Assert.Empty(RankPair.ProcessesRunning(run));
    }

    [Fact]
    public void ATwoProcessSearchSplitsItsTrialsAndMergesToTheOneProcessTable()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 12);
        string cfg = WriteConfig(dir, data, epochs: 1, syncBn: false);
        Assert.Equal(0, CliProcess.Run("train", "--config", cfg, "--out", dir.File("pre"), "--quiet").ExitCode);
        string weights = "model.weights=" + Path.Combine(dir.File("pre"), "best.ckpt");
        var one = CliProcess.Run("search", "--config", cfg, "--out", dir.File("one"), "--json", "--set", weights);
        Assert.True(one.ExitCode == 0, one.Stderr);
        var two = CliProcess.Run("search", "--config", cfg, "--out", dir.File("two"), "--nproc", "2", "--set", weights);
        Assert.True(two.ExitCode == 0, two.Stderr);
        // ResNet-10's four coarse trials: two per rank, rank 1's log lines prefixed by the launcher.
        var started = two.Stderr.Split('\n').Where(l => l.Contains("→")).ToList();
        Assert.Equal(4, started.Count);
        Assert.Equal(2, started.Count(l => l.StartsWith("[rank 1] ", StringComparison.Ordinal)));
        var merged = CliProcess.Run("search", "--config", cfg, "--out", dir.File("two"), "--merge", "--json", "--set", weights);
        Assert.True(merged.ExitCode == 0, merged.Stderr);
        string Table(string json) => string.Join(";", JsonDocument.Parse(json).RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => $"{r.GetProperty("cut")}:{r.GetProperty("mean").GetDouble():R}:{r.GetProperty("parameters")}"));
        Assert.Equal(Table(one.Stdout), Table(merged.Stdout));
        Assert.Equal(JsonDocument.Parse(one.Stdout).RootElement.GetProperty("chosen").GetRawText(),
            JsonDocument.Parse(merged.Stdout).RootElement.GetProperty("chosen").GetRawText());
    }

    [Fact]
    public void LaunchMistakesAreRefusedBeforeAnyTraining()
    {
        using var dir = new TempDir();
        string cfg = WriteConfig(dir, SyntheticData.Classification(dir.File("data"), 4), epochs: 1);
        Assert.Equal(2, CliProcess.Run("train", "--config", cfg, "--out", dir.File("a"), "--nproc", "0").ExitCode);
        var env = new Dictionary<string, string> { ["WORLD_SIZE"] = "2", ["RANK"] = "0", ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = "29999" };
        var nested = CliProcess.Run(env, "train", "--config", cfg, "--out", dir.File("b"), "--nproc", "2");
        Assert.Equal(2, nested.ExitCode);
        Assert.Contains("--nproc cannot be used inside a launched job", nested.Stderr);
        var bad = CliProcess.Run(new Dictionary<string, string> { ["WORLD_SIZE"] = "2", ["RANK"] = "x" }, "train", "--config", cfg, "--out", dir.File("c"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("RANK=x is not an integer", bad.Stderr);
        // A global batch of one cannot be shared by two ranks: bad input, said before any training.
        var small = CliProcess.Run("train", "--config", cfg, "--out", dir.File("d"), "--nproc", "2", "--set", "train.batch_size=1");
        Assert.Equal(3, small.ExitCode);
        Assert.Contains("train.batch_size 1 is the global batch and must give each of the 2 ranks at least one item", small.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.File("d"), "last.ckpt")));
    }

    private static string Text(StringBuilder sb) { lock (sb) return sb.ToString(); }

    /// <summary>`ttl train --nproc 2` on a 50-epoch run, returned once rank 0 has logged its first epoch.</summary>
    private static Process StartLauncherPastEpochOne(TempDir dir, string run, StringBuilder stderr)
    {
        string cfg = WriteConfig(dir, SyntheticData.Classification(dir.File("data"), 16), epochs: 50);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { CliProcess.Dll, "train", "--config", cfg, "--out", run, "--nproc", "2" }) psi.ArgumentList.Add(a);
        var launcher = Process.Start(psi)!;
        launcher.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        launcher.BeginErrorReadLine();
        launcher.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!Text(stderr).Contains("epoch 1/50") && DateTime.UtcNow < deadline) Thread.Sleep(100);
        return launcher;
    }

    /// <summary>Two ranks started by hand with torchrun's variables, stderr captured.</summary>
    private sealed class RankPair : IDisposable
    {
        public Process[] Ranks { get; } = new Process[2];
        private readonly StringBuilder[] _stderr = [new(), new()];

        public static RankPair Start(string cfg, string run)
        {
            var pair = new RankPair();
            int port = TTL.Torch.Distributed.TcpStore.FreeLoopbackPort();
            for (int rank = 0; rank < 2; rank++)
            {
                var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var a in new[] { CliProcess.Dll, "train", "--config", cfg, "--out", run }) psi.ArgumentList.Add(a);
                psi.Environment["RANK"] = rank.ToString();
                psi.Environment["LOCAL_RANK"] = rank.ToString();
                psi.Environment["WORLD_SIZE"] = "2";
                psi.Environment["LOCAL_WORLD_SIZE"] = "2";
                psi.Environment["MASTER_ADDR"] = "127.0.0.1";
                psi.Environment["MASTER_PORT"] = port.ToString();
                var p = Process.Start(psi)!;
                var sb = pair._stderr[rank];
                p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
                p.BeginErrorReadLine();
                p.StandardOutput.ReadToEndAsync();
                pair.Ranks[rank] = p;
            }
            return pair;
        }

        public string Rank0Stderr() => Text(_stderr[0]);

        public void WaitForRank0Line(string text, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!Rank0Stderr().Contains(text))
            {
                if (DateTime.UtcNow > deadline || Ranks[0].HasExited)
                    throw new Xunit.Sdk.XunitException($"rank 0 never printed '{text}'; stderr:\n{Rank0Stderr()}");
                Thread.Sleep(50);
            }
        }

        /// <summary>The live `ttl` processes whose command line names <paramref name="marker"/>.</summary>
        public static List<Process> ProcessesRunning(string marker)
        {
            var found = new List<Process>();
            foreach (var d in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(d), out int pid) || pid == Environment.ProcessId) continue;
                try
                {
                    string cmd = File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ');
                    if (cmd.Contains(marker) && !cmd.Contains("--nproc")) found.Add(Process.GetProcessById(pid));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
            }
            return found;
        }

        public static int RankOf(Process p)
        {
            var env = File.ReadAllText($"/proc/{p.Id}/environ").Split('\0');
            return int.Parse(env.First(v => v.StartsWith("RANK=", StringComparison.Ordinal))[5..]);
        }

        public void Dispose()
        {
            foreach (var p in Ranks)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        using (var cont = Process.Start("kill", $"-CONT {p.Id}")) cont.WaitForExit();
                        p.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }
}

public class LaunchEnvironmentTests
{
    private static LaunchEnvironment From(params (string, string)[] vars) =>
        LaunchEnvironment.From(vars.ToDictionary(v => v.Item1, v => v.Item2));

    [Fact]
    public void TorchrunVariablesDescribeTheRank()
    {
        var e = From(("RANK", "3"), ("WORLD_SIZE", "4"), ("LOCAL_RANK", "1"), ("LOCAL_WORLD_SIZE", "2"), ("MASTER_ADDR", "node7"), ("MASTER_PORT", "29400"));
        Assert.Equal(new LaunchEnvironment(3, 4, 1, 2, "node7", 29400, e.Source), e);
        Assert.True(e.IsDistributed);
        Assert.False(e.IsLoopback);
    }

    [Fact]
    public void SlurmStepVariablesAreUsedWhenNoLauncherVariablesAreSet()
    {
        var e = From(("SLURM_NTASKS", "6"), ("SLURM_PROCID", "4"), ("SLURM_LOCALID", "0"), ("SLURM_STEP_ID", "0"), ("SLURM_NODEID", "2"),
            ("SLURM_STEP_TASKS_PER_NODE", "2(x2),1,1"), ("SLURM_STEP_NODELIST", "gpu[07-09],cpu1"));
        Assert.Equal((4, 6, 0, 1, "gpu07", LaunchEnvironment.DefaultPort), (e.Rank, e.WorldSize, e.LocalRank, e.LocalWorldSize, e.MasterAddr, e.MasterPort));
        // Outside an srun step (the batch script itself) Slurm's task count does not make this a rank.
        Assert.False(From(("SLURM_NTASKS", "6"), ("SLURM_PROCID", "0")).IsDistributed);
        Assert.False(From().IsDistributed);
    }

    [Theory]
    [InlineData("WORLD_SIZE=2,RANK=2,MASTER_ADDR=a,MASTER_PORT=1", "rank 2 is not below the world size 2")]
    [InlineData("WORLD_SIZE=2,MASTER_ADDR=a,MASTER_PORT=1", "WORLD_SIZE is set but RANK is not")]
    [InlineData("WORLD_SIZE=2,RANK=0,MASTER_PORT=1", "WORLD_SIZE is set but MASTER_ADDR is not")]
    [InlineData("WORLD_SIZE=2,RANK=0,MASTER_ADDR=a,MASTER_PORT=70000", "MASTER_PORT=70000 is not a TCP port")]
    [InlineData("WORLD_SIZE=two", "WORLD_SIZE=two is not an integer >= 1")]
    public void MalformedVariablesAreRefusedNamingTheVariable(string vars, string message)
    {
        var env = vars.Split(',').Select(v => v.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.StartsWith(message, Assert.Throws<LaunchException>(() => LaunchEnvironment.From(env)).Message);
    }

    [Theory]
    [InlineData("node1", "node1")]
    [InlineData("gpu[01-03,07],login2", "gpu01,gpu02,gpu03,gpu07,login2")]
    [InlineData("a[8-10]b", "a8b,a9b,a10b")]
    public void SlurmNodeListsExpandLikeScontrolShowHostnames(string list, string hosts) =>
        Assert.Equal(hosts.Split(','), SlurmNodeList.Expand(list));
}

public class StageBarrierTests
{
    private static void TwoRanks(TimeSpan timeout, Action<DistributedContext> body)
    {
        int port = TTL.Torch.Distributed.TcpStore.FreeLoopbackPort();
        var tasks = Enumerable.Range(0, 2).Select(rank => Task.Factory.StartNew(() =>
        {
            using var dist = DistributedContext.Join(new LaunchEnvironment(rank, 2, rank, 2, "127.0.0.1", port, "test"), timeout);
            body(dist);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
    }

    [Fact]
    public void APeerBusyLongerThanTheTimeoutIsWaitedForWhileItsHeartbeatRuns()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        TwoRanks(TimeSpan.FromSeconds(2), dist =>
        {
            dist.StartHeartbeat();
            if (dist.Rank == 1) Thread.Sleep(5000); // a long trial
            dist.StageBarrier("stage");
        });
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void APeerWithoutHeartbeatFailsTheWaitNamingIt()
    {
        Exception? error = null;
        var done = new ManualResetEventSlim();
        TwoRanks(TimeSpan.FromSeconds(2), dist =>
        {
            if (dist.Rank == 1) { done.Wait(TimeSpan.FromSeconds(30)); return; } // alive but silent: no heartbeat, never arrives
            error = Record.Exception(() => dist.StageBarrier("stage"));
            done.Set();
        });
        Assert.IsType<TTL.Torch.Distributed.DistributedException>(error);
        Assert.Contains("waiting at 'stage': rank 1 sent no heartbeat for 2 s", error!.Message);
    }
}
