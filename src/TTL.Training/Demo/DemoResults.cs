using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TTL.Analysis.Activations;
using TTL.Analysis.Svcca;
using TTL.Imaging.Datasets;
using TTL.Imaging.Pipelines;
using TTL.Torch;
using TTL.Training.Metrics;
using TTL.Training.Runs;

namespace TTL.Training.Demo;

/// <summary>One finished training of the demo, read back from its run folder.</summary>
public sealed class DemoRun
{
    public required int Seed { get; init; }
    public required string Directory { get; init; }
    public required long Parameters { get; init; }
    public required long Macs { get; init; }
    /// <summary>Wall time of the training epochs (validation included), from metrics.jsonl.</summary>
    public required double TrainSeconds { get; init; }
    public required int BestEpoch { get; init; }
    /// <summary>The validation metric per epoch (the model-selection metric) and the training loss per epoch.</summary>
    public required double[] ValCurve { get; init; }
    public required double[] LossCurve { get; init; }
    /// <summary>The best checkpoint's per-case test results (test_cases.csv), by column, in <see cref="CaseIds"/> order.</summary>
    public required string[] CaseIds { get; init; }
    public required Dictionary<string, double[]> CaseColumns { get; init; }

    public static DemoRun Read(int seed, string dir)
    {
        var files = new RunFiles(dir);
        if (!File.Exists(files.Summary) || !File.Exists(files.TestCases))
            throw new InvalidDataException($"{dir}: unfinished run (no summary.json or test_cases.csv)");
        var summary = (JsonObject)JsonNode.Parse(File.ReadAllText(files.Summary))!;
        var metrics = files.ReadMetrics();
        string metric = summary["metric"]!.GetValue<string>();
        var lines = File.ReadAllLines(files.TestCases);
        var header = lines[0].Split(',');
        var ids = new string[lines.Length - 1];
        var columns = header.Skip(1).ToDictionary(h => h, _ => new double[lines.Length - 1]);
        for (int r = 1; r < lines.Length; r++)
        {
            var cells = lines[r].Split(',');
            ids[r - 1] = cells[0];
            for (int c = 1; c < header.Length; c++)
                columns[header[c]][r - 1] = cells[c].Length == 0 ? double.NaN : double.Parse(cells[c], CultureInfo.InvariantCulture);
        }
        return new DemoRun
        {
            Seed = seed,
            Directory = dir,
            Parameters = summary["parameters"]!.GetValue<long>(),
            Macs = summary["macs"]!.GetValue<long>(),
            TrainSeconds = metrics.Sum(m => m["seconds"]?.GetValue<double>() ?? 0),
            BestEpoch = summary["best_epoch"]!.GetValue<int>(),
            ValCurve = metrics.Select(m => m["val"]?[metric]?.GetValue<double>() ?? double.NaN).ToArray(),
            LossCurve = metrics.Select(m => m["train_loss"]!.GetValue<double>()).ToArray(),
            CaseIds = ids,
            CaseColumns = columns,
        };
    }

    /// <summary>A test metric of this run on the drawn case indices (all when null).</summary>
    public double Metric(string name, int[]? cases)
    {
        int n = cases?.Length ?? CaseIds.Length;
        switch (name)
        {
            case "auroc" or "auprc":
            {
                var p = CaseColumns["p_1"];
                var y = CaseColumns["label"];
                var scores = new double[n];
                var positive = new bool[n];
                for (int i = 0; i < n; i++)
                {
                    int c = cases?[i] ?? i;
                    scores[i] = p[c];
                    positive[i] = y[c] == 1;
                }
                return name == "auroc" ? ClassificationMetrics.Auroc(scores, positive) : ClassificationMetrics.AveragePrecision(scores, positive);
            }
            case "dice" or "hd95":
            {
                var v = CaseColumns[name + "_1"];
                double sum = 0;
                int finite = 0;
                for (int i = 0; i < n; i++)
                {
                    double x = v[cases?[i] ?? i];
                    if (double.IsFinite(x)) { sum += x; finite++; }
                }
                return finite == 0 ? double.NaN : sum / finite;
            }
            default: throw new ArgumentException($"unknown demo metric '{name}'");
        }
    }
}

/// <summary>A row of the demo's table: one strategy (or fixed cut, or the searched cut) over all seeds.</summary>
public sealed record DemoRow(string Label, string Kind, int? Cut, IReadOnlyList<DemoRun> Runs)
{
    public Dictionary<string, MetricSummary> Metrics { get; init; } = new();
    public Dictionary<string, PairedDifference?> VsFull { get; init; } = new();
    public double LatencyMs { get; init; } = double.NaN;
    /// <summary>Median over seeds (the searched cut's model can differ per seed).</summary>
    public long Parameters => Runs.Select(r => r.Parameters).Order().ElementAt(Runs.Count / 2);
    public long Macs => Runs.Select(r => r.Macs).Order().ElementAt(Runs.Count / 2);
    public double TrainSeconds => Runs.Average(r => r.TrainSeconds);
}

/// <summary>The search of one seed: validation and test metric per trained cut, and the cut chosen on validation.</summary>
public sealed record DemoSearchSeed(int Seed, int Chosen, string ChosenName, IReadOnlyDictionary<int, double> Validation, IReadOnlyDictionary<int, double> Test);

/// <summary>SVCCA of a fine-tuned model against its pretrained starting point at one block, over seeds.</summary>
public sealed record DemoSvccaBlock(string Model, int Cut, string Block, MetricSummary MeanCca, MetricSummary Cka, double BaselineMeanCca)
{
    /// <summary>Seeds whose model has this block (a searched cut differs per seed).</summary>
    public int Seeds => MeanCca.PerSeed.Count;
}

public sealed record DemoTiming(double DataSeconds, double TrainingSeconds, double TotalSeconds, int Workers, int ThreadsPerWorker);

/// <summary>Everything the report shows, computed from the run folders.</summary>
public sealed record DemoResults(string Name, DemoTaskKind Task, IReadOnlyList<string> MetricNames, IReadOnlyList<DemoRow> Rows,
    IReadOnlyList<DemoSearchSeed> Search, IReadOnlyList<DemoSvccaBlock> Svcca, IReadOnlyList<double> PretrainValidation, string PretrainMetric,
    long Seed, int TestCases)
{
    public DemoTiming? Timing { get; init; }
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>The row labelled <paramref name="label"/>.</summary>
    public DemoRow Row(string label) => Rows.First(r => r.Label == label);

    public const string SearchedLabel = "truncate (searched)";

    public static DemoResults Collect(DemoLayout l, DemoSettings s, long seed, TextWriter log)
    {
        var rows = new List<DemoRow>();
        foreach (var st in s.Strategies)
            rows.Add(new DemoRow(st.Label, "strategy", null, Enumerable.Range(0, s.Seeds).Select(k => DemoRun.Read(k, l.StrategyRun(k, st))).ToList()));

        var searches = Enumerable.Range(0, s.Seeds).Select(l.Search).ToList();
        var cuts = searches[0].Cuts;
        var fixedCuts = s.EveryCut ? cuts : cuts.Where(c => c.EndsStage).ToList();
        foreach (var cut in fixedCuts)
            rows.Add(new DemoRow($"truncate:{cut.Index} ({cut.Name}{(cut.Index == cuts.Count ? ", all blocks" : "")})", "cut", cut.Index,
                Enumerable.Range(0, s.Seeds).Select(k => DemoRun.Read(k, TruncationSearch.TrialDirectory(l.SearchDirectory(k), cut, 0))).ToList()));

        var searchSeeds = new List<DemoSearchSeed>();
        var chosenRuns = new List<DemoRun>();
        for (int k = 0; k < s.Seeds; k++)
        {
            var merged = searches[k].Merge();
            var trained = cuts.Select(c => (Cut: c, Dir: TruncationSearch.TrialDirectory(l.SearchDirectory(k), c, 0)))
                .Where(t => File.Exists(Path.Combine(t.Dir, "summary.json"))).ToList();
            var runs = trained.ToDictionary(t => t.Cut.Index, t => DemoRun.Read(k, t.Dir));
            searchSeeds.Add(new DemoSearchSeed(k, merged.Chosen.Cut, merged.Chosen.Name,
                merged.Rows.ToDictionary(r => r.Cut, r => r.Mean),
                runs.ToDictionary(kv => kv.Key, kv => kv.Value.Metric(s.Metrics[0], null))));
            chosenRuns.Add(runs[merged.Chosen.Cut]);
        }
        rows.Add(new DemoRow(SearchedLabel, "searched", null, chosenRuns));
        CheckSameTestCases(rows);

        rows = Statistics(rows, s, seed);
        log.WriteLine("demo: measuring inference latency (batch 1, 1 thread)");
        var latency = Latency(rows.Select(r => r.Runs[0].Directory).ToList(), s);
        rows = rows.Select((r, i) => r with { LatencyMs = latency[i] }).ToList();
        // The searched row's latency is that of seed 0's chosen model; its size is the median over seeds (the report says so).

        var pretrain = Enumerable.Range(0, s.Seeds).Select(k =>
            ((JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(l.Pretrain(k), "summary.json")))!)["best_value"]?.GetValue<double>() ?? double.NaN).ToList();
        string pretrainMetric = ((JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(l.Pretrain(0), "summary.json")))!)["metric"]!.GetValue<string>();

        log.WriteLine($"demo: SVCCA of the fine-tuned models against their pretrained networks ({s.SvccaCases} test cases per seed)");
        var svcca = CompareWithPretrained(l, s, seed, rows);
        return new DemoResults(s.Name, s.Task, s.Metrics, rows, searchSeeds, svcca, pretrain, pretrainMetric, seed, rows[0].Runs[0].CaseIds.Length);
    }

    private static void CheckSameTestCases(List<DemoRow> rows)
    {
        var ids = rows[0].Runs[0].CaseIds;
        foreach (var run in rows.SelectMany(r => r.Runs))
            if (!run.CaseIds.SequenceEqual(ids)) throw new InvalidDataException($"{run.Directory}: scored other test cases than the other runs");
    }

    /// <summary>Mean ± sd over seeds, bootstrap intervals, and differences against full fine-tuning, per metric.</summary>
    private static List<DemoRow> Statistics(List<DemoRow> rows, DemoSettings s, long seed)
    {
        int reference = rows.FindIndex(r => r.Label == "full");
        int cases = rows[0].Runs[0].CaseIds.Length;
        foreach (var metric in s.Metrics)
        {
            var runs = rows.Select(r => (IReadOnlyList<SeedCaseBootstrap.CaseMetric>)r.Runs
                .Select(run => (SeedCaseBootstrap.CaseMetric)(c => run.Metric(metric, c))).ToList()).ToList();
            var (summaries, diffs) = SeedCaseBootstrap.Run(runs, cases, reference >= 0 ? reference : null, s.BootstrapReplicates, seed);
            for (int i = 0; i < rows.Count; i++)
            {
                rows[i].Metrics[metric] = summaries[i];
                rows[i].VsFull[metric] = diffs[i];
            }
        }
        return rows;
    }

    /// <summary>
    /// Median forward time of each run's best model on one volume (batch 1, one thread, eval, no
    /// gradients). The models take turns, 5 passes each per round over 6 rounds after a warm-up, so a
    /// passing load on the machine affects them all alike.
    /// </summary>
    private static double[] Latency(IReadOnlyList<string> runDirs, DemoSettings s)
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        var models = runDirs.Select(d => TrainedModel.Load(d)).ToList();
        try
        {
            using var noGrad = torch.no_grad();
            using var x = torch.zeros([1, 1, s.Size[0], s.Size[1], s.Size[2]]);
            var times = models.Select(_ => new List<double>()).ToList();
            for (int round = 0; round < 7; round++)
                for (int m = 0; m < models.Count; m++)
                    for (int k = 0; k < 5; k++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        using (models[m].Model.Network.call(x)) { }
                        if (round > 0) times[m].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
            return times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
        }
        finally
        {
            foreach (var m in models) m.Dispose();
            torch.set_num_threads(threads);
        }
    }

    /// <summary>
    /// Per seed, block by block: full fine-tuning and the searched truncation against the pretrained
    /// network they started from, on the first test volumes. Every spatial position is a sample.
    /// </summary>
    private static List<DemoSvccaBlock> CompareWithPretrained(DemoLayout l, DemoSettings s, long seed, List<DemoRow> rows)
    {
        var dataset = DatasetReader.Open(l.TargetDataset);
        var cases = dataset.Test.Take(s.SvccaCases).ToList();
        var pipeline = Pipeline.Load(l.Pipeline);
        var inputs = cases.Select(c => pipeline.ApplyDeterministic(CaseLoader.Load(c)).Image).ToList();
        var results = new Dictionary<(string Model, int Cut, string Block), List<(double Cca, double Cka, double Baseline)>>();
        foreach (var (label, model) in new[] { ("full", "full fine-tuning"), (SearchedLabel, "truncated (searched cut)") })
        {
            var row = rows.FirstOrDefault(r => r.Label == label);
            if (row is null) continue;
            foreach (var run in row.Runs)
            {
                using var pretrained = TrainedModel.Load(l.Pretrain(run.Seed));
                using var tuned = TrainedModel.Load(run.Directory);
                var a = pretrained.Model.Network;
                var b = tuned.Model.Network;
                var blocks = a.CutPoints.Where(c => c.Index <= b.KeptBlocks).Select(c => c.Name).ToList();
                var compared = BlockComparison.Compare(a, b, blocks, Volumes(inputs), new SvccaOptions(), positionsPerInput: 0, seed + run.Seed,
                    accumulator: new AccumulatorOptions { Threads = 1 });
                foreach (var r in compared)
                {
                    var key = (model, r.Block.Index, r.Block.Name);
                    if (!results.TryGetValue(key, out var list)) results[key] = list = new();
                    list.Add((r.Result.MeanCca, r.Result.Cka, r.Baseline.MeanCca));
                }
            }
        }
        return results.OrderBy(kv => kv.Key.Model).ThenBy(kv => kv.Key.Cut).Select(kv => new DemoSvccaBlock(kv.Key.Model, kv.Key.Cut, kv.Key.Block,
            Summary(kv.Value.Select(v => v.Cca).ToList()), Summary(kv.Value.Select(v => v.Cka).ToList()), kv.Value.Average(v => v.Baseline))).ToList();
    }

    private static IEnumerable<Tensor> Volumes(List<TTL.Imaging.Volume> inputs)
    {
        foreach (var v in inputs) yield return torch.tensor(v.Data, 1, v.Channels, v.I, v.J, v.K);
    }

    /// <summary>Mean and sd over seeds with a plain min–max range (SVCCA values are descriptive, not tested).</summary>
    private static MetricSummary Summary(List<double> values)
    {
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new MetricSummary(mean, sd, values.Min(), values.Max(), values);
    }
}
