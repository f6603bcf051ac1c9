using System.CommandLine;
using System.Globalization;
using TTL.Cli.Commands.Bench;
using TTL.Models;
using TTL.Models.Heads;
using TTL.Models.ResNets;
using TTL.Torch;

namespace TTL.Cli.Commands;

/// <summary>`ttl model summary`: blocks, cut points, shapes, parameters and MACs of an architecture, optionally truncated and timed.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var cmd = new Command("model", "model architectures: blocks, cut points, sizes");
        cmd.Subcommands.Add(Summary());
        return cmd;
    }

    private static Command Summary()
    {
        var arch = new Option<string>("--arch") { Description = "architecture: " + string.Join(", ", Architectures.Names), Required = true };
        var shortcut = new Option<string?>("--shortcut") { Description = "ResNet shortcut A (parameter-free) or B (1x1x1 conv + BN); default: MedicalNet's for the depth" };
        var cut = new Option<string?>("--cut") { Description = "truncate after this cut point: its index (1 = after the stem), block name (layer2.0), stage (layer2) or full" };
        var input = new Option<string>("--input") { Description = "input size D,H,W", DefaultValueFactory = _ => "64,128,128" };
        var inChannels = new Option<long>("--in-channels") { Description = "input channels", DefaultValueFactory = _ => 1 };
        var width = new Option<long?>("--width") { Description = "ResNet width: planes of the stem and layer1, doubled at each later stage (default 64)" };
        var classes = new Option<long?>("--classes") { Description = "add a classification head (global average pooling + linear) with this many classes" };
        var bench = new Option<bool>("--bench") { Description = "also time the model truncated at each coarse cut against the full model (eval, no_grad, medians)" };
        var runs = new Option<int>("--runs") { Description = "timed runs per model for --bench (after one warm-up)", DefaultValueFactory = _ => 3 };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var cmd = new Command("summary", "blocks, cut points, output shapes, parameters and MACs per block and cumulative")
        {
            arch, shortcut, cut, input, inChannels, width, classes, bench, runs, threads, json,
        };
        cmd.SetAction(pr =>
        {
            string name = pr.GetValue(arch)!;
            var options = new ArchitectureOptions(pr.GetValue(inChannels), ParseShortcut(pr.GetValue(shortcut)), Width: pr.GetValue(width));
            if (options.InChannels < 1) throw new UsageException("--in-channels must be at least 1");
            long[] size = ParseSize(pr.GetValue(input)!);
            long? nClasses = pr.GetValue(classes);
            if (nClasses is < 1) throw new UsageException("--classes must be at least 1");
            if (pr.GetValue(runs) < 1) throw new UsageException("--runs must be at least 1");
            torch.set_num_threads(Math.Max(1, pr.GetValue(threads)));

            var cuts = Usage(() => Architectures.CutPointsOf(name, options));
            var cutPoint = pr.GetValue(cut) is { } spec ? Usage(() => BlockNetwork.ResolveCut(cuts, spec)) : cuts[^1];
            long[] inputShape = [1, options.InChannels, .. size];

            ModelSummary summary;
            using (var net = Build(name, options, cutPoint, nClasses))
                summary = ModelSummary.Of(net, inputShape);
            var timings = pr.GetValue(bench) ? Bench(name, options, cuts, inputShape, nClasses ?? 2, pr.GetValue(runs)) : null;

            if (pr.GetValue(json)) CommonOptions.PrintJson(ToJson(summary, cutPoint, cuts.Count, timings, pr.GetValue(threads), pr.GetValue(runs)));
            else Print(summary, cutPoint, cuts.Count, timings);
            return CliApp.Ok;
        });
        return cmd;
    }

    private static BlockNetwork Build(string name, ArchitectureOptions options, CutPoint cut, long? classes)
    {
        var net = Architectures.Create(name, options, cut.Index);
        if (classes is { } n) net.SetHead(new ClassificationHead(cut.Channels, n));
        return net;
    }

    public sealed record BenchRow(int Index, string Cut, bool Full, long Parameters, double Ms, double SpeedupVsFull);

    /// <summary>The model truncated at every coarse cut (and the full one, the last cut) timed in this process, medians.</summary>
    private static List<BenchRow> Bench(string name, ArchitectureOptions options, IReadOnlyList<CutPoint> cuts, long[] inputShape, long classes, int runs)
    {
        var timed = cuts.Where(c => c.EndsStage).Append(cuts[^1]).DistinctBy(c => c.Index).ToList();
        var rows = new List<(CutPoint Cut, long Params, double Ms)>();
        using var noGrad = torch.no_grad();
        using var x = torch.randn(inputShape);
        foreach (var cut in timed)
        {
            using var net = Build(name, options, cut, classes);
            net.eval();
            long parameters = net.parameters().Sum(p => p.numel());
            double ms = Timing.MedianMs(runs, () => { using var y = net.call(x); });
            rows.Add((cut, parameters, ms));
        }
        double fullMs = rows[^1].Ms;
        return rows.Select(r => new BenchRow(r.Cut.Index, r.Cut.Name, r.Cut.Index == cuts.Count, r.Params, r.Ms, fullMs / r.Ms)).ToList();
    }

    private static object ToJson(ModelSummary s, CutPoint cut, int allCuts, List<BenchRow>? bench, int threads, int runs) => new
    {
        arch = s.Architecture,
        input = s.InputShape,
        cut = new { index = cut.Index, name = cut.Name, of = allCuts },
        cut_points = s.Blocks.Select(b => new
        {
            index = b.Cut.Index,
            name = b.Cut.Name,
            stage = b.Cut.Stage,
            ends_stage = b.Cut.EndsStage,
            channels = b.Cut.Channels,
            output_shape = b.OutputShape,
            @params = b.Parameters,
            cumulative_params = b.CumulativeParameters,
            macs = b.Macs,
            cumulative_macs = b.CumulativeMacs,
        }),
        head = new { @params = s.HeadParameters, macs = s.HeadMacs },
        output_shape = s.OutputShape,
        total_params = s.TotalParameters,
        total_macs = s.TotalMacs,
        bench = bench is null ? null : new { input = s.InputShape, threads, runs, rows = bench },
    };

    private static void Print(ModelSummary s, CutPoint cut, int allCuts, List<BenchRow>? bench)
    {
        var o = Console.Out;
        o.WriteLine($"{s.Architecture}, input [{string.Join(", ", s.InputShape)}], cut {cut.Index} ({cut.Name}) of {allCuts}");
        o.WriteLine($"{"cut",4}  {"block",-10} {"stage",5}  {"output",-24} {"params",12} {"cum params",12} {"MMACs",10} {"cum MMACs",11}");
        foreach (var b in s.Blocks)
            o.WriteLine($"{b.Cut.Index,4}{(b.Cut.EndsStage ? '*' : ' ')} {b.Cut.Name,-10} {b.Cut.Stage,5}  {Shape(b.OutputShape),-24} {b.Parameters,12:N0} {b.CumulativeParameters,12:N0} {b.Macs / 1e6,10:F1} {b.CumulativeMacs / 1e6,11:F1}");
        if (s.HeadParameters > 0) o.WriteLine($"{"",4}  {"head",-10} {"",5}  {Shape(s.OutputShape),-24} {s.HeadParameters,12:N0} {s.TotalParameters,12:N0} {s.HeadMacs / 1e6,10:F1} {s.TotalMacs / 1e6,11:F1}");
        o.WriteLine($"total: {s.TotalParameters:N0} parameters, {s.TotalMacs / 1e9:F2} GMACs; output {Shape(s.OutputShape)}  (* = end of a stage: coarse cut)");
        if (bench is null) return;
        o.WriteLine();
        o.WriteLine($"latency on [{string.Join(", ", s.InputShape)}], {torch.get_num_threads()} thread(s), eval, no_grad, median:");
        o.WriteLine($"{"cut",4}  {"block",-10} {"params",12} {"ms",10} {"speedup vs full",16}");
        foreach (var r in bench)
            o.WriteLine($"{r.Index,4}  {r.Cut + (r.Full ? " (full)" : ""),-10} {r.Parameters,12:N0} {r.Ms,10:F1} {r.SpeedupVsFull,15:F2}x");
    }

    private static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";

    private static Shortcut? ParseShortcut(string? s) => s?.ToUpperInvariant() switch
    {
        null => null,
        "A" => Shortcut.A,
        "B" => Shortcut.B,
        _ => throw new UsageException($"--shortcut must be A or B, got '{s}'"),
    };

    private static long[] ParseSize(string s)
    {
        var parts = s.Split(',');
        if (parts.Length != 3 || !parts.All(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v > 0))
            throw new UsageException($"--input must be D,H,W with positive integers, got '{s}'");
        return parts.Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Architecture and cut mistakes are usage errors (exit 2) whose message lists the valid choices.</summary>
    private static T Usage<T>(Func<T> f)
    {
        try { return f(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
