using System.Globalization;
using System.Text;
using TTL.Analysis.Activations;
using TTL.Analysis.Plots;
using TTL.Analysis.Svcca;
using TTL.Imaging.Datasets;
using TTL.Imaging.Pipelines;
using TTL.Models;
using TTL.Models.Checkpoints;
using TTL.Torch;
using TTL.Training;
using TTL.Training.Runs;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl svcca --a A --b B --data DATASET`: block-by-block SVCCA / PWCCA / CKA between two models on
/// the same volumes (see BlockComparison). A model is a run directory (its best checkpoint, and its
/// preprocessing pipeline is applied to the inputs) or a weights file of <c>--arch</c>.
/// </summary>
public static class SvccaModels
{
    /// <summary>What every model comparison takes; <see cref="Backend"/> runs the statistics on <see cref="Device"/>.</summary>
    public sealed record Request(string A, string? Arch, string Blocks, string Data, int? MaxCases, int Positions,
        SvccaOptions Options, long Seed, int Threads, string? OutDir, bool Json, ISvccaBackend Backend, string Device);

    public static int Run(Request q, string b)
    {
        var (a, arch, blocks, data, maxCases, positions, options, seed, threads, outDir, json, backend, device) = q;
        using var ma = Load(a, arch, out var pipelineA);
        using var mb = Load(b, arch, out var pipelineB);
        var pipeline = pipelineB ?? pipelineA ?? new Pipeline([]);
        var netA = ma.Network;
        var netB = mb.Network;
        var wanted = Blocks(blocks, netA.CutPoints.Where(c => c.Index <= netB.KeptBlocks));
        if (wanted.Count == 0) throw new UsageException($"--blocks {blocks}: no block that both models keep");

        var cases = Cases(data, maxCases);
        var results = Usage(() => BlockComparison.Compare(netA, netB, wanted, Inputs(cases, pipeline), options, positions, seed,
            backend, new AccumulatorOptions { Threads = threads }));

        var rows = results.Select(r => new Dictionary<string, object?>
        {
            ["block"] = r.Block.Name,
            ["cut"] = r.Block.Index,
            ["n"] = r.Result.N,
            ["c_a"] = r.Result.ColumnsA,
            ["c_b"] = r.Result.ColumnsB,
            ["kept_a"] = r.Result.KeptA,
            ["kept_b"] = r.Result.KeptB,
            ["mean_cca"] = r.Result.MeanCca,
            ["pwcca"] = r.Result.Pwcca,
            ["cka"] = r.Result.Cka,
            ["baseline_mean_cca"] = r.Baseline.MeanCca,
            ["cca"] = r.Result.Cca,
        }).ToList();
        var doc = new Dictionary<string, object?> { ["a"] = a, ["b"] = b, ["data"] = data, ["cases"] = cases.Count, ["seed"] = seed, ["device"] = device, ["blocks"] = rows };
        if (outDir is not null) Write(outDir, doc, results);
        if (json) CommonOptions.PrintJson(doc);
        else
        {
            Console.WriteLine($"{"block",-12} {"n",9} {"kept",9} {"mean CCA",9} {"PWCCA",7} {"CKA",7} {"baseline",9}");
            foreach (var r in results)
                Console.WriteLine($"{r.Block.Name,-12} {r.Result.N,9} {$"{r.Result.KeptA}/{r.Result.KeptB}",9} {r.Result.MeanCca,9:F4} {r.Result.Pwcca,7:F4} {r.Result.Cka,7:F4} {r.Baseline.MeanCca,9:F4}");
        }
        return CliApp.Ok;
    }

    /// <summary>--blocks: coarse (the stage ends among <paramref name="kept"/>), all, or a comma list.</summary>
    private static List<string> Blocks(string spec, IEnumerable<CutPoint> kept) => spec switch
    {
        "coarse" => kept.Where(c => c.EndsStage).Select(c => c.Name).ToList(),
        "all" => kept.Select(c => c.Name).ToList(),
        _ => spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList(),
    };

    private static List<DatasetCase> Cases(string data, int? maxCases)
    {
        var dataset = DatasetReader.Open(data);
        return dataset.Training.Concat(dataset.Test).Take(maxCases ?? int.MaxValue).ToList();
    }

    /// <summary>The cases preprocessed (deterministic steps) as [1, C, I, J, K] tensors, one at a time.</summary>
    private static IEnumerable<Tensor> Inputs(List<DatasetCase> cases, Pipeline pipeline)
    {
        foreach (var c in cases)
        {
            var s = pipeline.ApplyDeterministic(CaseLoader.Load(c));
            yield return torch.tensor(s.Image.Data, 1, s.Image.Channels, s.Image.I, s.Image.J, s.Image.K);
        }
    }

    /// <summary>`--within`: every selected block of --a against every other; heatmaps of mean CCA and CKA.</summary>
    public static int RunWithin(Request q)
    {
        using var m = Load(q.A, q.Arch, out var pipeline);
        var net = m.Network;
        var wanted = Blocks(q.Blocks, net.CutPoints);
        var results = Usage(() => BlockComparison.Within(net, wanted, Inputs(Cases(q.Data, q.MaxCases), pipeline ?? new Pipeline([])),
            q.Options, q.Positions, q.Seed, q.Backend, new AccumulatorOptions { Threads = q.Threads }));
        var names = wanted.Select(w => net.ResolveCut(w).Name).ToList();
        int n = names.Count;
        var cca = new double[n, n];
        var cka = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) { cca[i, j] = results[i, j].MeanCca; cka[i, j] = results[i, j].Cka; }
        var doc = new Dictionary<string, object?>
        {
            ["model"] = q.A, ["device"] = q.Device, ["blocks"] = names,
            ["mean_cca"] = Rows(cca), ["cka"] = Rows(cka), ["pwcca"] = Rows(Map(results, r => r.Pwcca)),
        };
        if (q.OutDir is string dir)
        {
            Directory.CreateDirectory(dir);
            RunFiles.WriteText(Path.Combine(dir, "within.json"), System.Text.Json.JsonSerializer.Serialize(doc, CommonOptions.JsonOptions) + "\n");
            RunFiles.WriteText(Path.Combine(dir, "heatmap_mean_cca.svg"), HeatmapPlot.Svg("mean SVCCA between blocks", names, cca));
            RunFiles.WriteText(Path.Combine(dir, "heatmap_cka.svg"), HeatmapPlot.Svg("linear CKA between blocks", names, cka));
        }
        if (q.Json) CommonOptions.PrintJson(doc);
        else
        {
            Console.WriteLine("mean CCA " + string.Join(" ", names.Select(x => x.PadLeft(10))));
            for (int i = 0; i < n; i++)
                Console.WriteLine(names[i].PadRight(9) + string.Join(" ", Enumerable.Range(0, n).Select(j => cca[i, j].ToString("F4", CultureInfo.InvariantCulture).PadLeft(10))));
        }
        return CliApp.Ok;
    }

    /// <summary>
    /// `--search DIR`: the pretrained model --a against every finished trial of a truncation search
    /// at the trial's cut (its last kept block); mean CCA, PWCCA and CKA per trial and box plots per
    /// cut over the seeds.
    /// </summary>
    public static int RunSearch(Request q, string searchDir)
    {
        if (!Directory.Exists(searchDir)) throw new DirectoryNotFoundException($"{searchDir}: no such search directory");
        var trials = Directory.GetDirectories(searchDir).Where(d => File.Exists(Path.Combine(d, "summary.json")) && File.Exists(Path.Combine(d, "best.ckpt")))
            .Order(StringComparer.Ordinal).ToList();
        if (trials.Count == 0) throw new InvalidDataException($"{searchDir}: no finished trial (run ttl search first)");
        using var pretrained = Load(q.A, q.Arch, out var pipelineA);
        var cases = Cases(q.Data, q.MaxCases);
        var rows = new List<Dictionary<string, object?>>();
        var byCut = new SortedDictionary<int, (string Name, List<double> Cca, List<double> Cka)>();
        foreach (var trial in trials)
        {
            using var tuned = Load(trial, null, out var pipeline);
            var cut = tuned.Network.Cut;
            var r = Usage(() => BlockComparison.Compare(pretrained.Network, tuned.Network, [cut.Name], Inputs(cases, pipeline ?? pipelineA ?? new Pipeline([])),
                q.Options, q.Positions, q.Seed, q.Backend, new AccumulatorOptions { Threads = q.Threads }))[0];
            rows.Add(new() { ["trial"] = Path.GetFileName(trial), ["cut"] = cut.Index, ["block"] = cut.Name, ["n"] = r.Result.N,
                ["mean_cca"] = r.Result.MeanCca, ["pwcca"] = r.Result.Pwcca, ["cka"] = r.Result.Cka, ["baseline_mean_cca"] = r.Baseline.MeanCca });
            if (!byCut.TryGetValue(cut.Index, out var g)) byCut[cut.Index] = g = (cut.Name, new List<double>(), new List<double>());
            g.Cca.Add(r.Result.MeanCca);
            g.Cka.Add(r.Result.Cka);
        }
        var doc = new Dictionary<string, object?> { ["pretrained"] = q.A, ["search"] = searchDir, ["device"] = q.Device, ["trials"] = rows };
        if (q.OutDir is string dir)
        {
            Directory.CreateDirectory(dir);
            RunFiles.WriteText(Path.Combine(dir, "search_svcca.json"), System.Text.Json.JsonSerializer.Serialize(doc, CommonOptions.JsonOptions) + "\n");
            RunFiles.WriteText(Path.Combine(dir, "boxplot_mean_cca.svg"), BoxPlot.Svg("pretrained vs fine-tuned at each cut (mean SVCCA over seeds)", "mean CCA",
                byCut.Select(kv => new BoxPlot.Group($"{kv.Key}:{kv.Value.Name}", kv.Value.Cca)).ToList()));
            RunFiles.WriteText(Path.Combine(dir, "boxplot_cka.svg"), BoxPlot.Svg("pretrained vs fine-tuned at each cut (linear CKA over seeds)", "CKA",
                byCut.Select(kv => new BoxPlot.Group($"{kv.Key}:{kv.Value.Name}", kv.Value.Cka)).ToList()));
        }
        if (q.Json) CommonOptions.PrintJson(doc);
        else foreach (var row in rows) Console.WriteLine($"{row["trial"],-28} cut {row["cut"],3}  mean CCA {(double)row["mean_cca"]!:F4}  CKA {(double)row["cka"]!:F4}");
        return CliApp.Ok;
    }

    private static double[,] Map(SvccaResult[,] r, Func<SvccaResult, double> f)
    {
        var m = new double[r.GetLength(0), r.GetLength(1)];
        for (int i = 0; i < m.GetLength(0); i++) for (int j = 0; j < m.GetLength(1); j++) m[i, j] = f(r[i, j]);
        return m;
    }

    private static double[][] Rows(double[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(i => Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToArray();

    private sealed class LoadedModel(BlockNetwork network, IDisposable owner) : IDisposable
    {
        public BlockNetwork Network { get; } = network;
        public void Dispose() => owner.Dispose();
    }

    private static LoadedModel Load(string path, string? arch, out Pipeline? pipeline)
    {
        if (Directory.Exists(path))
        {
            var trained = TrainedModel.Load(path);
            pipeline = trained.Pipeline;
            return new LoadedModel(trained.Model.Network, trained);
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such run directory or weights file", path);
        if (arch is null) throw new UsageException($"{path} is a weights file: give its architecture with --arch");
        pipeline = null;
        var network = Usage(() => Architectures.Create(arch));
        try { PretrainedWeights.LoadInto(network, path); }
        catch { network.Dispose(); throw; }
        return new LoadedModel(network, network);
    }

    private static T Usage<T>(Func<T> f)
    {
        try { return f(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    private static void Write(string dir, Dictionary<string, object?> doc, IReadOnlyList<BlockResult> results)
    {
        Directory.CreateDirectory(dir);
        var csv = new StringBuilder("block,cut,n,kept_a,kept_b,mean_cca,pwcca,cka,baseline_mean_cca\n");
        foreach (var r in results)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{r.Block.Name},{r.Block.Index},{r.Result.N},{r.Result.KeptA},{r.Result.KeptB},{r.Result.MeanCca:R},{r.Result.Pwcca:R},{r.Result.Cka:R},{r.Baseline.MeanCca:R}\n");
            RunFiles.WriteText(Path.Combine(dir, $"cca_{r.Block.Name}.svg"), CcaCurvePlot.Svg(
                $"{r.Block.Name}: mean CCA {r.Result.MeanCca:F3}, PWCCA {r.Result.Pwcca:F3}, CKA {r.Result.Cka:F3}",
                [new("A vs B", r.Result.Cca, "#1f77b4"), new("Gaussian baseline", r.Baseline.Cca, "#7f7f7f", Dashed: true)]));
        }
        RunFiles.WriteText(Path.Combine(dir, "svcca_blocks.csv"), csv.ToString());
        RunFiles.WriteText(Path.Combine(dir, "svcca_blocks.json"), System.Text.Json.JsonSerializer.Serialize(doc, CommonOptions.JsonOptions) + "\n");
    }

}
