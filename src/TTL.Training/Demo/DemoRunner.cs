using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.Models;
using TTL.Training.Config;
using TTL.Training.Runs;

namespace TTL.Training.Demo;

/// <summary>How the demo runs its `ttl` child processes.</summary>
/// <param name="StartInfo">Starts the `ttl` CLI with the given arguments.</param>
/// <param name="Workers">Child processes at a time.</param>
/// <param name="ThreadsPerWorker">libtorch threads in each child.</param>
public sealed record DemoExecution(Func<string[], ProcessStartInfo> StartInfo, int Workers, int ThreadsPerWorker);

/// <summary>
/// The end-to-end demonstration of truncated transfer learning, as an experiment with a fixed
/// protocol (docs/demo.md): synthetic source and target data whose low-level vocabulary is shared
/// and whose high-level questions differ (<see cref="DemoData"/>); for every seed, a network
/// pretrained on the large source task, then every strategy — scratch, full, linear, layer-wise,
/// TransFusion, Mean-Var, two-phase, truncation at fixed cuts and at the cut the two-stage search
/// picks on validation — trained on the same small target set with the same budget, and scored
/// once on a large held-out test set. Then statistics over seeds and test cases
/// (<see cref="DemoResults"/>) and a report (<see cref="DemoReport"/>). Every training is an
/// ordinary `ttl train` run in its own folder, started as a child process; an interrupted demo
/// resumes where it stopped.
/// </summary>
public static class DemoRunner
{
    public static DemoResults Run(string outDir, DemoSettings s, long seed, DemoExecution exec, TextWriter log)
    {
        outDir = Path.GetFullPath(outDir);
        var clock = Stopwatch.StartNew();
        CheckSettings(outDir, s, seed);
        var layout = new DemoLayout(outDir, s);

        log.WriteLine($"demo ({s.Name}): [1/4] data: {s.SourceCases} source cases, {s.Seeds} × ({s.TrainCases} + {s.ValCases}) target cases, {s.TestCases} test cases, {string.Join("x", s.Size)} voxels");
        WriteData(layout, s, seed, exec.Workers * exec.ThreadsPerWorker);
        WriteConfigs(layout, s, seed);
        double dataSeconds = clock.Elapsed.TotalSeconds;

        var jobs = Jobs(layout, s, exec.ThreadsPerWorker);
        log.WriteLine($"demo ({s.Name}): [2/4] training: {jobs.Count} runs on {exec.Workers} worker(s) × {exec.ThreadsPerWorker} thread(s)");
        var pool = new JobPool(exec.StartInfo, exec.Workers, log);
        pool.Run(jobs);
        double trainSeconds = clock.Elapsed.TotalSeconds - dataSeconds;

        log.WriteLine($"demo ({s.Name}): [3/4] statistics, latency and SVCCA");
        var results = DemoResults.Collect(layout, s, seed, log);
        log.WriteLine($"demo ({s.Name}): [4/4] report");
        results = results with
        {
            Timing = new DemoTiming(dataSeconds, trainSeconds, clock.Elapsed.TotalSeconds, exec.Workers, exec.ThreadsPerWorker),
            Commands = pool.CommandLog,
        };
        DemoReport.Write(layout, s, results);
        log.WriteLine($"demo ({s.Name}): done in {JobPool.Duration(clock.Elapsed.TotalSeconds)}; report: {layout.ReportMarkdown}");
        return results;
    }

    /// <summary>One task's learnability result: a network trained from scratch on many cases, scored on held-out ones.</summary>
    public sealed record LearnabilityRow(string Task, int TrainCases, int TestCases, int Epochs, IReadOnlyDictionary<string, double> Test, string Run);

    /// <summary>
    /// The check behind the demo's premise that only the small-data regime makes the target hard:
    /// the demo's network trained from scratch on <paramref name="cases"/> cases (90 % training,
    /// 10 % validation) of the source task and of the target task for <paramref name="epochs"/>
    /// epochs (otherwise the pretraining recipe), each scored on <paramref name="testCases"/> independent cases.
    /// </summary>
    public static IReadOnlyList<LearnabilityRow> Learnability(string outDir, DemoSettings s, int cases, int testCases, int epochs, long seed, DemoExecution exec, TextWriter log)
    {
        outDir = Path.GetFullPath(outDir);
        var l = new DemoLayout(outDir, s);
        log.WriteLine($"learnability ({s.Task.ToString().ToLowerInvariant()}): {cases} cases and {testCases} test cases per task, {s.Arch} from scratch for {epochs} epochs");
        if (!File.Exists(l.SourceDataset)) DemoData.Write(l.Data, DemoTask.Source, cases, s.Size, seed, exec.Workers * exec.ThreadsPerWorker, testCases);
        if (!File.Exists(l.TargetDataset)) DemoData.Write(l.Data, DemoTask.Target, cases, s.Size, seed, exec.Workers * exec.ThreadsPerWorker, testCases);
        RunFiles.WriteText(l.Pipeline, "transforms:\n- name: zscore\n");
        var tasks = new[] { ("source", l.SourceDataset), ("target", l.TargetDataset) };
        var jobs = new List<DemoJob>();
        foreach (var (task, dataset) in tasks)
        {
            string config = Path.Combine(outDir, "configs", $"{task}.yaml"), dir = Path.Combine(outDir, "runs", task);
            RunFiles.WriteText(config, Config(l, s, dataset, new SplitConfig { Kind = "kfold", Folds = 10, Fold = 0 },
                epochs, s.PretrainBatch, s.PretrainLr, seed, evaluateTest: true).ToYaml());
            jobs.Add(new DemoJob(task, "learnability", 1, [],
                () => [["train", "--config", config, "--out", dir, "--threads", exec.ThreadsPerWorker.ToString(CultureInfo.InvariantCulture), "--quiet",
                    .. File.Exists(Path.Combine(dir, "last.ckpt")) && !File.Exists(Path.Combine(dir, "summary.json")) ? new[] { "--resume" } : []]],
                () => File.Exists(Path.Combine(dir, "summary.json"))));
        }
        new JobPool(exec.StartInfo, exec.Workers, log).Run(jobs);
        return tasks.Select(t =>
        {
            string dir = Path.Combine(outDir, "runs", t.Item1);
            var test = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "test.json")))!;
            return new LearnabilityRow(t.Item1, ExperimentConfig.Load(Path.Combine(outDir, "configs", $"{t.Item1}.yaml")).Data.Split.Folds is var f ? cases - cases / f : cases, testCases, epochs,
                s.Metrics.ToDictionary(m => m, m => test[m]?.GetValue<double>() ?? double.NaN), dir);
        }).ToList();
    }

    /// <summary>A demo folder holds one setting: refuses to mix the runs of another (or another seed).</summary>
    private static void CheckSettings(string outDir, DemoSettings s, long seed)
    {
        string path = Path.Combine(outDir, "demo.json");
        var doc = new JsonObject
        {
            ["settings"] = s.Name, ["task"] = s.Task.ToString().ToLowerInvariant(), ["seed"] = seed, ["data_model"] = DemoData.ModelVersion,
        };
        if (File.Exists(path))
        {
            var old = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
            if (!JsonNode.DeepEquals(old, doc))
                throw new InvalidDataException($"{path}: this folder holds a demo with other settings ({old?.ToJsonString()}); use another --out");
            return;
        }
        // Anything else in the folder (an older demo's data, say) would be taken for this demo's: refuse it.
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new InvalidDataException($"{outDir}: the folder is not empty and holds no demo.json; give a new or empty --out");
        Directory.CreateDirectory(outDir);
        RunFiles.WriteText(path, doc.ToJsonString() + "\n");
    }

    private static void WriteData(DemoLayout l, DemoSettings s, long seed, int threads)
    {
        // The source task once; the target pool holds every seed's training and validation cases, then the shared test cases.
        if (!File.Exists(l.SourceDataset))
            DemoData.Write(l.Data, DemoTask.Source, s.SourceCases, s.Size, seed, threads);
        if (!File.Exists(l.TargetDataset))
            DemoData.Write(l.Data, DemoTask.Target, s.Seeds * (s.TrainCases + s.ValCases), s.Size, seed, threads, s.TestCases);
    }

    private static void WriteConfigs(DemoLayout l, DemoSettings s, long seed)
    {
        bool seg = s.Task == DemoTaskKind.Segmentation;
        RunFiles.WriteText(l.Pipeline, "# Per-volume z-score (the synthetic HU have no fixed window to keep).\ntransforms:\n- name: zscore\n");
        var ids = DatasetIds(l.TargetDataset);
        for (int k = 0; k < s.Seeds; k++)
        {
            int at = k * (s.TrainCases + s.ValCases);
            var train = ids.Skip(at).Take(s.TrainCases).ToList();
            var val = ids.Skip(at + s.TrainCases).Take(s.ValCases).ToList();
            RunFiles.WriteText(l.TargetConfig(k), Config(l, s, l.TargetDataset, new SplitConfig { Kind = "lists", Train = train, Val = val },
                s.Epochs, s.Batch, s.Lr, seed + k, evaluateTest: true).ToYaml());
        }
        RunFiles.WriteText(l.PretrainConfig, Config(l, s, l.SourceDataset, new SplitConfig { Kind = "kfold", Folds = 10, Fold = 0 },
            s.PretrainEpochs, s.PretrainBatch, s.PretrainLr, seed, evaluateTest: false).ToYaml());
        if (seg && s.Size.Any(v => v % 8 != 0)) throw new ArgumentException($"the U-Net demo needs sizes divisible by 8, not {string.Join("x", s.Size)}");
    }

    private static List<string> DatasetIds(string dataset) =>
        TTL.Imaging.Datasets.DatasetReader.Open(dataset).Training.Select(c => c.Id).ToList();

    private static ExperimentConfig Config(DemoLayout l, DemoSettings s, string dataset, SplitConfig split, int epochs, int batch, double lr, long seed,
        bool evaluateTest) => new()
    {
        Data = new DataConfig { Dataset = dataset, Pipeline = l.Pipeline, Split = split, Cache = l.Cache },
        Model = new ModelConfig { Arch = s.Arch, Width = s.Width, Conv1Stride = s.Conv1Stride, Strategy = "scratch" },
        Optimizer = new OptimizerConfig { Kind = "adamw", Lr = lr, WeightDecay = 1e-4 },
        Schedule = new ScheduleConfig { Kind = "cosine" },
        Train = new TrainConfig
        {
            Epochs = epochs, BatchSize = batch, Workers = 1, Prefetch = 4, EvaluateTest = evaluateTest,
            PatchSize = s.Task == DemoTaskKind.Segmentation ? s.Size : null, PatchesPerCase = 1,
        },
        Seed = seed,
    };

    /// <summary>Every training of the demo, with what it waits for.</summary>
    private static List<DemoJob> Jobs(DemoLayout l, DemoSettings s, int threads)
    {
        var jobs = new List<DemoJob>();
        string[] Train(string config, string dir, string strategy, string? weights, long? seedOverride = null)
        {
            var args = new List<string> { "train", "--config", config, "--out", dir, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--quiet",
                "--set", $"model.strategy={strategy}" };
            if (weights is not null) args.AddRange(["--set", $"model.weights={weights}"]);
            if (seedOverride is long so) args.AddRange(["--seed", so.ToString(CultureInfo.InvariantCulture)]);
            // A run that stopped half-way has last.ckpt but no summary.json: continue it.
            if (File.Exists(Path.Combine(dir, "last.ckpt")) && !File.Exists(Path.Combine(dir, "summary.json"))) args.Add("--resume");
            return [.. args];
        }
        static bool Finished(string dir) => File.Exists(Path.Combine(dir, "summary.json"));

        double passes = s.TrainCases * s.Epochs;
        var cfg0 = ExperimentConfig.Load(l.TargetConfig(0));
        var cuts = Architectures.CutPointsOf(s.Arch, Experiment.Options(cfg0.Model));
        for (int k = 0; k < s.Seeds; k++)
        {
            int seedIndex = k;
            string pretrain = l.Pretrain(k), weights = l.PretrainWeights(k), config = l.TargetConfig(k);
            long runSeed = ExperimentConfig.Load(config).Seed;
            jobs.Add(new DemoJob($"pretrain/seed{k}", "pretraining", s.SourceCases * 0.9 * s.PretrainEpochs * 0.5, [],
                () => [Train(l.PretrainConfig, pretrain, "scratch", null, runSeed)], () => Finished(pretrain)));
            foreach (var st in s.Strategies)
            {
                string dir = l.StrategyRun(k, st);
                jobs.Add(new DemoJob($"seed{k}/{st.Label}", $"seed {k}", passes, st.Pretrained ? [$"pretrain/seed{k}"] : [],
                    () => [Train(config, dir, st.Spec, st.Pretrained ? weights : null)], () => Finished(dir)));
            }
            var search = l.Search(k);
            var trained = s.EveryCut ? cuts : cuts.Where(c => c.EndsStage).ToList();
            foreach (var cut in trained)
            {
                string dir = TruncationSearch.TrialDirectory(l.SearchDirectory(k), cut, 0);
                double cost = passes * (0.4 + 0.6 * cut.Index / cuts.Count);
                jobs.Add(new DemoJob($"seed{k}/truncate:{cut.Index}", $"seed {k}", cost, [$"pretrain/seed{k}"],
                    () => [Train(config, dir, search.TrialStrategy(cut.Index), weights)], () => Finished(dir)));
            }
            if (!s.EveryCut)
                jobs.Add(new DemoJob($"seed{k}/search-fine", $"seed {k}", passes,
                    trained.Select(c => $"seed{seedIndex}/truncate:{c.Index}").ToList(),
                    () => (search.FineTrials() ?? []).Where(t => !t.Finished)
                        .Select(t => Train(config, t.Directory, search.TrialStrategy(t.Cut.Index), weights)).ToList(),
                    () => search.FineTrials() is { } fine && fine.All(t => t.Finished)));
        }
        return jobs;
    }
}

/// <summary>Where a demo's files go.</summary>
public sealed class DemoLayout(string root, DemoSettings settings)
{
    public string Root { get; } = root;
    public string Data => Path.Combine(Root, "data");
    private bool Seg => settings.Task == DemoTaskKind.Segmentation;
    public string SourceDataset => Path.Combine(Data, Seg ? "source_seg" : "source", "dataset.json");
    public string TargetDataset => Path.Combine(Data, Seg ? "target_seg" : "target", "dataset.json");
    public string Pipeline => Path.Combine(Root, "configs", "pipeline.yaml");
    public string PretrainConfig => Path.Combine(Root, "configs", "pretrain.yaml");
    public string TargetConfig(int seed) => Path.Combine(Root, "configs", $"target-seed{seed}.yaml");
    public string Cache => Path.Combine(Root, ".ttl-cache");
    public string Pretrain(int seed) => Path.Combine(Root, "pretrain", $"seed{seed}");
    public string PretrainWeights(int seed) => Path.Combine(Pretrain(seed), "best.ckpt");
    public string StrategyRun(int seed, DemoStrategy s) => Path.Combine(Root, "target", $"seed{seed}", s.Folder);
    public string SearchDirectory(int seed) => Path.Combine(Root, "target", $"seed{seed}", "search");

    /// <summary>The seed's truncation search over the target config, starting from the seed's pretrained weights.</summary>
    public TruncationSearch Search(int seed)
    {
        var cfg = ExperimentConfig.Load(TargetConfig(seed));
        cfg = cfg with { Model = cfg.Model with { Strategy = "truncate:1", Weights = PretrainWeights(seed) } };
        return new TruncationSearch(cfg, SearchDirectory(seed), seeds: 1);
    }

    public string Figures => Path.Combine(Root, "figures");
    public string ReportMarkdown => Path.Combine(Root, "report.md");
    public string ReportHtml => Path.Combine(Root, "report.html");
    public string ResultsJson => Path.Combine(Root, "results.json");
}
