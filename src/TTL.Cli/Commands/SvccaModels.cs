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

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl svcca --a A --b B --data DATASET`: block-by-block SVCCA / PWCCA / CKA between two models on
/// the same volumes (see BlockComparison). A model is a run directory (its best checkpoint, and its
/// preprocessing pipeline is applied to the inputs) or a weights file of <c>--arch</c>.
/// </summary>
public static class SvccaModels
{
    public static int Run(string a, string b, string? arch, string blocks, string data, int? maxCases, int positions,
        SvccaOptions options, long seed, int threads, string? outDir, bool json)
    {
        using var ma = Load(a, arch, out var pipelineA);
        using var mb = Load(b, arch, out var pipelineB);
        var pipeline = pipelineB ?? pipelineA ?? new Pipeline([]);
        var netA = ma.Network;
        var netB = mb.Network;
        var wanted = blocks switch
        {
            "coarse" => netA.CutPoints.Where(c => c.EndsStage && c.Index <= netB.KeptBlocks).Select(c => c.Name).ToList(),
            "all" => netA.CutPoints.Where(c => c.Index <= netB.KeptBlocks).Select(c => c.Name).ToList(),
            _ => blocks.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList(),
        };
        if (wanted.Count == 0) throw new UsageException($"--blocks {blocks}: no block that both models keep");

        var dataset = DatasetReader.Open(data);
        var cases = dataset.Training.Concat(dataset.Test).Take(maxCases ?? int.MaxValue).ToList();
        IEnumerable<Tensor> Inputs()
        {
            foreach (var c in cases)
            {
                var s = pipeline.ApplyDeterministic(CaseLoader.Load(c));
                yield return torch.tensor(s.Image.Data, 1, s.Image.Channels, s.Image.I, s.Image.J, s.Image.K);
            }
        }
        var results = Usage(() => BlockComparison.Compare(netA, netB, wanted, Inputs(), options, positions, seed,
            accumulator: new AccumulatorOptions { Threads = threads }));

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
        var doc = new Dictionary<string, object?> { ["a"] = a, ["b"] = b, ["data"] = data, ["cases"] = cases.Count, ["seed"] = seed, ["blocks"] = rows };
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
            Atomic(Path.Combine(dir, $"cca_{r.Block.Name}.svg"), CcaCurvePlot.Svg(
                $"{r.Block.Name}: mean CCA {r.Result.MeanCca:F3}, PWCCA {r.Result.Pwcca:F3}, CKA {r.Result.Cka:F3}",
                [new("A vs B", r.Result.Cca, "#1f77b4"), new("Gaussian baseline", r.Baseline.Cca, "#7f7f7f", Dashed: true)]));
        }
        Atomic(Path.Combine(dir, "svcca_blocks.csv"), csv.ToString());
        Atomic(Path.Combine(dir, "svcca_blocks.json"), System.Text.Json.JsonSerializer.Serialize(doc, CommonOptions.JsonOptions) + "\n");
    }

    private static void Atomic(string path, string text)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
