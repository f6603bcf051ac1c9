using System.CommandLine;
using System.Globalization;
using System.Text;
using TTL.Analysis.Activations;
using TTL.Analysis.Plots;
using TTL.Analysis.Svcca;
using TTL.Analysis.Svcca.Cpu;
using TTL.Analysis.Svcca.Cuda;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl svcca --acts-a A.safetensors --acts-b B.safetensors`: SVCCA, PWCCA and CKA between two
/// activation matrices ([N, C], or [batch, C, D, H, W] folded) with a seeded random baseline.
/// </summary>
public static class SvccaCommand
{
    public static Command Create()
    {
        var actsA = new Option<string?>("--acts-a") { Description = "activations of A: safetensors, [N, C] or [batch, C, D, H, W], float32/float64" };
        var actsB = new Option<string?>("--acts-b") { Description = "activations of B, same samples in the same order" };
        var modelA = new Option<string?>("--a") { Description = "model A: a run directory (ttl train) or a weights file (with --arch)" };
        var modelB = new Option<string?>("--b") { Description = "model B: a run directory or a weights file (with --arch)" };
        var arch = new Option<string?>("--arch") { Description = "architecture of weights files given to --a / --b" };
        var blocks = new Option<string>("--blocks") { Description = "blocks to compare: coarse (stage ends), all, or a comma list (layer1.0,layer2,5)", DefaultValueFactory = _ => "coarse" };
        var data = new Option<string?>("--data") { Description = "dataset whose training cases are the inputs (MSD dataset.json, nnU-Net folder, CSV)" };
        var maxCases = new Option<int?>("--cases") { Description = "use at most this many cases" };
        var within = new Option<bool>("--within") { Description = "compare the blocks of model --a with each other (heatmap); blocks pooled to a common grid" };
        var search = new Option<string?>("--search") { Description = "a ttl search directory: compare --a (the pretrained model) with every trial at its cut; box plots per cut over seeds" };
        var positions = new Option<int>("--positions") { Description = "spatial positions sampled per volume and block (0: all)", DefaultValueFactory = _ => 2048 };
        var tensor = new Option<string?>("--tensor") { Description = "tensor name in both files (default: the file's only tensor)" };
        var variance = new Option<double?>("--variance") { Description = "keep the top singular directions explaining this variance fraction (default 0.99)" };
        var keep = new Option<int?>("--keep") { Description = "keep exactly K singular directions per side instead" };
        var epsilon = new Option<double>("--epsilon") { Description = "whitening ridge, relative to the largest kept eigenvalue", DefaultValueFactory = _ => 1e-10 };
        var pool = new Option<string>("--pool") { Description = "5-D activations: none (every position is a sample) or avg (one sample per volume)", DefaultValueFactory = _ => "none" };
        var maxSamples = new Option<long?>("--max-samples") { Description = "use a seeded random subset of at most this many samples" };
        var minibatch = new Option<int?>("--minibatch-cka") { Description = "also compute minibatch CKA (unbiased HSIC) with minibatches of N samples" };
        var baselineRows = new Option<long>("--baseline-rows") { Description = "samples of the Gaussian baseline at most", DefaultValueFactory = _ => SvccaAnalysis.DefaultBaselineRows };
        var seed = CommonOptions.Seed();
        var outDir = new Option<string?>("--out") { Description = "folder for svcca.json, cca.csv and cca.svg" };
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        device.Description = "where the scatter accumulation and the decompositions run: cpu, cuda, cuda:N or auto (activations are computed on the CPU)";
        var cmd = new Command("svcca", "SVCCA / PWCCA / CKA with a random baseline: between two activation files, or block by block between two models on a dataset")
        {
            actsA, actsB, modelA, modelB, arch, blocks, data, maxCases, within, search, positions,
            tensor, variance, keep, epsilon, pool, maxSamples, minibatch, baselineRows, seed, outDir, json, threads, device,
        };
        cmd.SetAction(pr =>
        {
            int t = pr.GetValue(threads);
            if (t < 1) throw new UsageException("--threads must be at least 1");
            if (pr.GetValue(variance) is not null && pr.GetValue(keep) is not null) throw new UsageException("give --variance or --keep, not both");
            var options = new SvccaOptions
            {
                VarianceFraction = pr.GetValue(variance) ?? 0.99,
                Keep = pr.GetValue(keep),
                Epsilon = pr.GetValue(epsilon),
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var fold = pr.GetValue(pool) switch
            {
                "none" => SpatialFold.Positions,
                "avg" => SpatialFold.AveragePool,
                var p => throw new UsageException($"--pool must be none or avg, not '{p}'"),
            };
            if (pr.GetValue(maxSamples) is < 1) throw new UsageException("--max-samples must be at least 1");
            if (pr.GetValue(minibatch) is < 4) throw new UsageException("--minibatch-cka needs minibatches of at least 4 samples");
            if (pr.GetValue(baselineRows) < 2) throw new UsageException("--baseline-rows must be at least 2");
            TTL.Torch.torch.set_num_threads(t);
            using var dev = DeviceChoice.Open(pr.GetValue(device)!, Console.Error);
            ISvccaBackend backend = dev.Gpu is null ? CpuSvccaBackend.Instance : new GpuSvccaBackend(dev.Gpu);
            bool files = pr.GetValue(actsA) is not null || pr.GetValue(actsB) is not null;
            bool models = pr.GetValue(modelA) is not null || pr.GetValue(modelB) is not null || pr.GetValue(search) is not null;
            if (files == models) throw new UsageException("give --acts-a and --acts-b (activation files) or --a with --b, --within or --search, and --data (models)");
            if (models)
            {
                if (pr.GetValue(data) is null) throw new UsageException("comparing models needs --data");
                if (pr.GetValue(positions) < 0) throw new UsageException("--positions must be 0 (all) or more");
                if (pr.GetValue(modelA) is null) throw new UsageException("comparing models needs --a");
                int modes = (pr.GetValue(modelB) is not null ? 1 : 0) + (pr.GetValue(within) ? 1 : 0) + (pr.GetValue(search) is not null ? 1 : 0);
                if (modes != 1) throw new UsageException("with --a give exactly one of --b, --within, --search");
                var request = new SvccaModels.Request(pr.GetValue(modelA)!, pr.GetValue(arch), pr.GetValue(blocks)!, pr.GetValue(data)!,
                    pr.GetValue(maxCases), pr.GetValue(positions), options, pr.GetValue(seed), t, pr.GetValue(outDir), pr.GetValue(json), backend, dev.Name);
                if (pr.GetValue(within)) return SvccaModels.RunWithin(request);
                if (pr.GetValue(search) is string searchDir) return SvccaModels.RunSearch(request, searchDir);
                return SvccaModels.Run(request, pr.GetValue(modelB)!);
            }
            if (pr.GetValue(actsA) is null || pr.GetValue(actsB) is null) throw new UsageException("give both --acts-a and --acts-b");

            long s = pr.GetValue(seed);
            var a = ActivationMatrix.Read(pr.GetValue(actsA)!, pr.GetValue(tensor), fold);
            var b = ActivationMatrix.Read(pr.GetValue(actsB)!, pr.GetValue(tensor), fold);
            if (a.Rows != b.Rows)
                throw new InvalidDataException($"{b.Source}: has {b.Rows} samples but {a.Source} has {a.Rows}; both must come from the same inputs");
            if (pr.GetValue(maxSamples) is long m)
            {
                a = a.Subsample(m, s);
                b = b.Subsample(m, s);
            }
            var acc = new AccumulatorOptions
            {
                Threads = t,
                MinibatchCka = pr.GetValue(minibatch) is not null,
                BlockRows = pr.GetValue(minibatch) ?? new AccumulatorOptions().BlockRows,
            };
            var result = SvccaAnalysis.Compare(a, b, options, acc, backend);
            var (baseline, n) = SvccaAnalysis.Baseline(result, options, s, pr.GetValue(baselineRows), acc with { MinibatchCka = false }, backend);
            var doc = Document(result, baseline, n, a, b, s);
            doc["device"] = dev.Name;
            if (pr.GetValue(outDir) is string dir) WriteOutputs(dir, doc, result, baseline);
            if (pr.GetValue(json)) CommonOptions.PrintJson(doc);
            else Print(result, baseline, n, pr.GetValue(outDir));
            return 0;
        });
        return cmd;
    }

    private static Dictionary<string, object?> Document(SvccaResult r, SvccaResult baseline, long baselineRows, ActivationMatrix a, ActivationMatrix b, long seed) => new()
    {
        ["n"] = r.N,
        ["c_a"] = r.ColumnsA,
        ["c_b"] = r.ColumnsB,
        ["kept_a"] = r.KeptA,
        ["kept_b"] = r.KeptB,
        ["cca"] = r.Cca,
        ["mean_cca"] = r.MeanCca,
        ["pwcca"] = r.Pwcca,
        ["cka"] = r.Cka,
        ["baseline_mean_cca"] = baseline.MeanCca,
        ["explained_a"] = r.ExplainedA,
        ["explained_b"] = r.ExplainedB,
        ["cka_minibatch"] = r.CkaMinibatch,
        ["pwcca_weights"] = r.PwccaWeights,
        ["baseline_cca"] = baseline.Cca,
        ["baseline_pwcca"] = baseline.Pwcca,
        ["baseline_n"] = baselineRows,
        ["n_source_a"] = a.SourceRows,
        ["n_source_b"] = b.SourceRows,
        ["acts_a"] = a.Source,
        ["acts_b"] = b.Source,
        ["seed"] = seed,
    };

    private static void Print(SvccaResult r, SvccaResult baseline, long baselineRows, string? dir)
    {
        Console.WriteLine($"samples {r.N}, channels {r.ColumnsA} / {r.ColumnsB}, kept {r.KeptA} / {r.KeptB} (variance {r.ExplainedA:P1} / {r.ExplainedB:P1})");
        Console.WriteLine($"mean CCA {r.MeanCca:F4}   PWCCA {r.Pwcca:F4}   CKA {r.Cka:F4}" + (r.CkaMinibatch is double m ? $"   minibatch CKA {m:F4}" : ""));
        Console.WriteLine($"baseline mean CCA {baseline.MeanCca:F4} (Gaussian, {baselineRows} samples, same kept counts)");
        Console.WriteLine("top coefficients: " + string.Join(" ", r.Cca.Take(10).Select(v => v.ToString("F3", CultureInfo.InvariantCulture))));
        if (dir is not null) Console.WriteLine($"wrote {Path.Combine(dir, "svcca.json")}, cca.csv, cca.svg");
    }

    /// <summary>svcca.json, cca.csv and cca.svg, each written to a temporary name and renamed into place.</summary>
    private static void WriteOutputs(string dir, Dictionary<string, object?> doc, SvccaResult r, SvccaResult baseline)
    {
        Directory.CreateDirectory(dir);
        var csv = new StringBuilder("index,cca,baseline_cca,pwcca_weight\n");
        for (int i = 0; i < Math.Max(r.Cca.Length, baseline.Cca.Length); i++)
            csv.Append(CultureInfo.InvariantCulture, $"{i + 1},{Cell(r.Cca, i)},{Cell(baseline.Cca, i)},{Cell(r.PwccaWeights, i)}\n");
        var svg = CcaCurvePlot.Svg($"SVCCA: mean {r.MeanCca:F3}, PWCCA {r.Pwcca:F3}, CKA {r.Cka:F3}",
        [
            new("A vs B", r.Cca, "#1f77b4"),
            new("Gaussian baseline", baseline.Cca, "#7f7f7f", Dashed: true),
        ]);
        TTL.Training.Runs.RunFiles.WriteText(Path.Combine(dir, "svcca.json"), System.Text.Json.JsonSerializer.Serialize(doc, CommonOptions.JsonOptions) + "\n");
        TTL.Training.Runs.RunFiles.WriteText(Path.Combine(dir, "cca.csv"), csv.ToString());
        TTL.Training.Runs.RunFiles.WriteText(Path.Combine(dir, "cca.svg"), svg);
    }

    private static string Cell(double[] v, int i) => i < v.Length ? v[i].ToString("R", CultureInfo.InvariantCulture) : "";
}
