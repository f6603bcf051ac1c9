using System.CommandLine;
using TTL.Training;
using TTL.Training.Distributed;

namespace TTL.Cli.Commands;

/// <summary>`ttl search`: the two-stage hierarchical truncation search (TTL.Training.TruncationSearch).</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "experiment YAML; each trial trains model.strategy with its cut set to the trial's K when it takes one (truncate:K, twophase:K, lwft:K, transfusion:K), else truncate:K", Required = true };
        var set = new Option<string[]>("--set") { Description = "override a config value: key.path=value (repeatable)" };
        var output = new Option<string>("--out") { Description = "search directory: one run directory per trial, search.json, search.md", Required = true };
        var stages = new Option<string>("--stages") { Description = "stages to run: coarse, fine or coarse,fine", DefaultValueFactory = _ => "coarse,fine" };
        var seeds = new Option<int>("--seeds") { Description = "trainings per cut with seeds seed, seed+1, … (mean ± std)", DefaultValueFactory = _ => 1 };
        var shard = new Option<string?>("--shard") { Description = "i/n: run every n-th trial starting at i, so n machines share the search" };
        var mergeOnly = new Option<bool>("--merge") { Description = "train nothing: merge the finished trials in --out into search.json and search.md" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: the config's, else all cores shared by the local ranks)" };
        var nproc = TrainCommand.NprocOption("share the trials");
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("search", "two-stage hierarchical truncation search: stage boundaries first, then the blocks of the best stage; " +
            "its trials are shared by the ranks of a job (--nproc, torchrun-style variables or srun) and by --shard jobs")
            { config, set, output, stages, seeds, shard, mergeOnly, threads, nproc, json, quiet };
        cmd.SetAction(pr =>
        {
            var overrides = (pr.GetValue(set) ?? []).ToList();
            if (pr.GetValue(threads) is int t) overrides.Add($"threads={t}");
            var cfg = TrainCommand.Load(pr.GetValue(config)!, overrides);
            TrainCommand.CheckDevice(cfg.Device);
            var wanted = pr.GetValue(stages)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (wanted.Length == 0 || wanted.Any(s => s is not ("coarse" or "fine"))) throw new UsageException($"--stages {pr.GetValue(stages)}: expected coarse, fine or coarse,fine");
            var (jobIndex, jobCount) = ParseShard(pr.GetValue(shard));
            if (TrainCommand.Launch(pr.GetValue(nproc)) is int code) return code;
            var launch = LaunchEnvironment.FromProcess();
            // Each rank trains whole trials on its own; ranks of one job share a --shard's trials.
            int index = jobIndex * launch.WorldSize + launch.Rank, count = jobCount * launch.WorldSize;
            if (cfg.Threads == 0 && launch.LocalWorldSize > 1) cfg = cfg with { Threads = Math.Max(1, Environment.ProcessorCount / launch.LocalWorldSize) };
            using var dist = DistributedContext.Join(launch, TimeSpan.FromSeconds(cfg.Distributed.TimeoutS));
            // Peers waiting at a stage barrier take a rank without heartbeat for dead.
            dist.StartHeartbeat();
            var log = pr.GetValue(quiet) || pr.GetValue(json) ? TextWriter.Null : Console.Error;
            var search = TrainCommand.RunInputs(pr.GetValue(config)!, () => new TruncationSearch(cfg, pr.GetValue(output)!, pr.GetValue(seeds)));
            bool complete = true;
            if (!pr.GetValue(mergeOnly))
            {
                if (wanted.Contains("coarse")) TrainCommand.RunInputs(pr.GetValue(config)!, () => search.Run(search.CoarseTrials(), index, count, log));
                // The fine stage needs every rank's coarse trials.
                dist.StageBarrier("coarse");
                if (wanted.Contains("fine"))
                {
                    var fine = search.FineTrials();
                    if (fine is null)
                    {
                        complete = false;
                        int done = search.CoarseTrials().Count(x => x.Finished);
                        log.WriteLine($"fine stage waits for the coarse stage: {done} of {search.CoarseTrials().Count} coarse trials finished (other shards?)");
                    }
                    else TrainCommand.RunInputs(pr.GetValue(config)!, () => search.Run(fine, index, count, log));
                }
                dist.StageBarrier("fine");
            }
            if (!dist.IsMain) return CliApp.Ok;
            var result = search.Merge();
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new
                {
                    metric = result.Metric,
                    chosen = new { cut = result.Chosen.Cut, name = result.Chosen.Name, mean = result.Chosen.Mean, std = result.Chosen.Std },
                    reason = result.Reason,
                    complete,
                    rows = result.Rows.Select(x => new { cut = x.Cut, name = x.Name, stage = x.Stage, mean = x.Mean, std = x.Std, seeds = x.Seeds, parameters = x.Parameters, macs = x.Macs, latency_ms = x.LatencyMs }),
                });
            else if (!pr.GetValue(quiet)) Console.Write(TruncationSearch.Markdown(result));
            return CliApp.Ok;
        });
        return cmd;
    }

    private static (int Index, int Count) ParseShard(string? text)
    {
        if (text is null) return (0, 1);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int i) && int.TryParse(parts[1], out int n) && n >= 1 && i >= 0 && i < n) return (i, n);
        throw new UsageException($"--shard {text}: expected i/n with 0 ≤ i < n");
    }
}
