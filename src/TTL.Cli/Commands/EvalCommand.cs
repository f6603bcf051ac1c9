using System.CommandLine;
using TTL.Imaging.Datasets;
using TTL.Torch.Serialization;
using TTL.Training;
using TTL.Training.Config;
using TTL.Training.Runs;

namespace TTL.Cli.Commands;

/// <summary>`ttl eval`: scores a trained run's best (or last) checkpoint on a dataset split.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run directory made by ttl train", Required = true };
        var data = new Option<string?>("--data") { Description = "dataset to evaluate on (default: the run's)" };
        var split = new Option<string>("--split") { Description = "val (the run's validation cases), train, test, or all", DefaultValueFactory = _ => "val" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best or last", DefaultValueFactory = _ => "best" };
        var perCase = new Option<string?>("--per-case") { Description = "also write per-case results to this CSV: id,label,p_0.. (classification) or id,dice_1..,hd95_1.. (segmentation)" };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var cmd = new Command("eval", "evaluate a trained run on a dataset split") { run, data, split, checkpoint, perCase, threads, json };
        cmd.SetAction(pr =>
        {
            var files = new RunFiles(pr.GetValue(run)!);
            if (!File.Exists(files.Config)) throw new InvalidDataException($"{files.Config}: not a run directory (no config.yaml)");
            string ckpt = pr.GetValue(checkpoint) switch
            {
                "best" => files.Best,
                "last" => files.Last,
                var other => throw new UsageException($"--checkpoint {other}: expected best or last"),
            };
            var overrides = new List<string> { $"threads={pr.GetValue(threads)}" };
            if (pr.GetValue(data) is string d) overrides.Add($"data.dataset={Path.GetFullPath(d)}");
            var cfg = TrainCommand.Load(files.Config, overrides);
            TTL.Torch.torch.set_num_threads(pr.GetValue(threads));
            using var experiment = OpenRun(cfg, files, ckpt);
            var cases = pr.GetValue(split) switch
            {
                "val" => experiment.Split.Validation,
                "train" => experiment.Split.Train,
                "test" => experiment.Dataset.Test,
                "all" => experiment.Dataset.Training.Concat(experiment.Dataset.Test).ToList(),
                var other => throw new UsageException($"--split {other}: expected val, train, test or all"),
            };
            if (cases.Count == 0) throw new InvalidDataException($"{Path.GetFileName(experiment.Dataset.Source)}: the {pr.GetValue(split)} split is empty");
            var metrics = Evaluation.Evaluate(experiment, cases, cfg.Train.Overlap);
            if (pr.GetValue(perCase) is string csv) RunFiles.WriteText(Path.GetFullPath(csv), metrics.Cases!.ToCsv());
            if (pr.GetValue(json)) Console.WriteLine(metrics.ToJson().ToJsonString(CommonOptions.JsonOptions));
            else
            {
                Console.WriteLine($"{files.Directory} ({Path.GetFileName(ckpt)}) on {metrics.N} {pr.GetValue(split)} case(s):");
                foreach (var (k, v) in metrics.Values) Console.WriteLine($"  {k,-18} {v:F4}");
                foreach (var (k, v) in metrics.PerClass) Console.WriteLine($"  {k,-18} {string.Join("  ", v.Select(x => x.ToString("F4")))}");
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>The run's experiment with the network rebuilt and loaded from <paramref name="checkpoint"/>.</summary>
    public static Experiment OpenRun(ExperimentConfig cfg, RunFiles files, string checkpoint)
    {
        if (!File.Exists(checkpoint)) throw new InvalidDataException($"{checkpoint}: the run has no such checkpoint");
        var state = Checkpoints.ModelState(ToolkitCheckpoint.Read(checkpoint));
        try { return TrainCommand.RunInputs(files.Config, () => Experiment.Open(cfg, files.Directory, state)); }
        finally { foreach (var t in state.Values) t.Dispose(); }
    }
}
