using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using TTL.Training.Config;
using TTL.Training.Runs;

namespace TTL.Training.Demo;

/// <summary>One strategy's result on the target task (validation, at its best epoch).</summary>
public sealed record DemoRow(string Strategy, double Auroc, double Auprc, long Parameters, double LatencyMs, string Run);

/// <summary>
/// The end-to-end demonstration: synthetic source and target data, a 3D ResNet pretrained on the
/// source task, then every transfer strategy on the small target task under the same budget
/// (same epochs, batch, optimizer, schedule and split), the truncation point found by the
/// two-stage search, a comparison table and a Markdown report with the learning curves.
/// </summary>
public static class DemoRunner
{
    public sealed record Settings(int SourceCases, int TargetCases, int[] Size, int PretrainEpochs, int TargetEpochs, string Arch, string MidCut);

    public static Settings For(bool quick) => quick
        ? new(120, 60, [32, 32, 32], 6, 8, "resnet10", "3")
        : new(400, 80, [32, 32, 32], 20, 25, "resnet18", "layer2");

    public static IReadOnlyList<DemoRow> Run(string outDir, bool quick, int threads, long seed, TextWriter log)
    {
        var s = For(quick);
        outDir = Path.GetFullPath(outDir);
        string data = Path.Combine(outDir, "data");
        if (!File.Exists(Path.Combine(data, "target", "dataset.json")))
        {
            log.WriteLine($"demo: writing synthetic data ({s.SourceCases} source, {s.TargetCases} target cases of {string.Join("x", s.Size)})");
            DemoData.Write(data, DemoTask.Source, s.SourceCases, s.Size, seed, threads);
            DemoData.Write(data, DemoTask.Target, s.TargetCases, s.Size, seed, threads);
        }

        log.WriteLine($"demo: pretraining {s.Arch} on the source task ({s.PretrainEpochs} epochs)");
        string pretrainDir = Path.Combine(outDir, "pretrain");
        Train(Config(Path.Combine(data, "source", "dataset.json"), s.Arch, "scratch", null, s.PretrainEpochs, seed, threads), pretrainDir, log);
        string weights = Path.Combine(pretrainDir, "best.ckpt");

        var strategies = new[] { "scratch", "full", "linear", $"lwft:{s.MidCut}", $"transfusion:{s.MidCut}", "meanvar" };
        var rows = new List<DemoRow>();
        foreach (var strategy in strategies)
        {
            log.WriteLine($"demo: target task, strategy {strategy} ({s.TargetEpochs} epochs)");
            string dir = Path.Combine(outDir, "target", strategy.Replace(':', '-'));
            var cfg = Config(Path.Combine(data, "target", "dataset.json"), s.Arch, strategy, strategy == "scratch" ? null : weights, s.TargetEpochs, seed, threads);
            Train(cfg, dir, log);
            rows.Add(Row(strategy, dir));
        }

        log.WriteLine("demo: truncation search on the target task");
        var searchCfg = Config(Path.Combine(data, "target", "dataset.json"), s.Arch, "truncate:1", weights, s.TargetEpochs, seed, threads);
        var search = new TruncationSearch(searchCfg, Path.Combine(outDir, "target", "search"));
        search.Run(search.CoarseTrials(), 0, 1, log);
        if (search.FineTrials() is { } fine) search.Run(fine, 0, 1, log);
        var result = search.Merge();
        var chosen = search.CoarseTrials().Concat(search.FineTrials() ?? []).First(t => t.Cut.Index == result.Chosen.Cut && t.SeedIndex == 0);
        rows.Add(Row($"truncate:{result.Chosen.Cut} (searched)", chosen.Directory));

        WriteReport(outDir, s, rows, result);
        return rows;
    }

    private static void Train(ExperimentConfig cfg, string dir, TextWriter log)
    {
        if (File.Exists(Path.Combine(dir, "summary.json"))) { log.WriteLine($"demo: {dir} already trained"); return; }
        new Trainer(cfg, dir).Run(resume: File.Exists(Path.Combine(dir, "last.ckpt")));
    }

    private static ExperimentConfig Config(string dataset, string arch, string strategy, string? weights, int epochs, long seed, int threads) =>
        new()
        {
            Data = new DataConfig { Dataset = dataset, Split = new SplitConfig { Kind = "kfold", Folds = 4, Fold = 0 } },
            Model = new ModelConfig { Arch = arch, Strategy = strategy, Weights = weights },
            Optimizer = new OptimizerConfig { Kind = "adamw", Lr = 1e-3, WeightDecay = 1e-4 },
            Schedule = new ScheduleConfig { Kind = "cosine", WarmupEpochs = 1 },
            Train = new TrainConfig { Epochs = epochs, BatchSize = 8, Workers = 1, Prefetch = 8 },
            Seed = seed,
            Threads = threads,
        };

    /// <summary>AUROC and AUPRC at the run's best epoch, its size and latency.</summary>
    private static DemoRow Row(string strategy, string dir)
    {
        var summary = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
        int best = summary["best_epoch"]!.GetValue<int>();
        var line = new RunFiles(dir).ReadMetrics().First(m => m["epoch"]!.GetValue<int>() == best);
        return new DemoRow(strategy, line["val"]!["auroc"]?.GetValue<double>() ?? double.NaN, line["val"]!["auprc"]?.GetValue<double>() ?? double.NaN,
            summary["parameters"]!.GetValue<long>(), summary["latency_ms"]!.GetValue<double>(), dir);
    }

    public static string Table(IReadOnlyList<DemoRow> rows)
    {
        var sb = new StringBuilder("| strategy | AUROC | AUPRC | parameters | latency ms |\n|---|---:|---:|---:|---:|\n");
        foreach (var r in rows)
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Strategy} | {r.Auroc:F3} | {r.Auprc:F3} | {r.Parameters:N0} | {r.LatencyMs:F1} |\n");
        return sb.ToString();
    }

    private static void WriteReport(string outDir, Settings s, IReadOnlyList<DemoRow> rows, SearchResult search)
    {
        var sb = new StringBuilder();
        sb.Append("# TTL.Volumetric demo\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"{s.Arch} pretrained for {s.PretrainEpochs} epochs on the synthetic source task ({s.SourceCases} cases: round vs elongated blobs), ");
        sb.Append(CultureInfo.InvariantCulture, $"then fine-tuned for {s.TargetEpochs} epochs with each strategy on the target task ({s.TargetCases} cases: textured lesion present or not). ");
        sb.Append("Same split (fold 0 of 4), optimizer (AdamW, lr 1e-3, cosine with 1 warm-up epoch), batch size and seed for every strategy; metrics on the validation fold at each run's best epoch (by AUPRC).\n\n");
        sb.Append(Table(rows));
        sb.Append("\n## Truncation search\n\n");
        sb.Append(TruncationSearch.Markdown(search));
        sb.Append("\n## Learning curves\n\n");
        foreach (var r in rows)
            sb.Append($"- {r.Strategy}: ![{r.Strategy}]({Path.GetRelativePath(outDir, Path.Combine(r.Run, "learning_curve.svg"))})\n");
        RunFiles.WriteText(Path.Combine(outDir, "report.md"), sb.ToString());
    }
}
