using System.Diagnostics;
using System.Text.Json.Nodes;
using TTL.TestSupport;
using TTL.Training.Demo;

namespace TTL.Training.Tests;

/// <summary>The whole demo path on a tiny setting, run once for the tests of this class (about a minute on 2 cores).</summary>
public sealed class TinyDemo : IDisposable
{
    public TempDir Dir { get; } = new();
    public DemoResults Results { get; }
    public DemoLayout Layout { get; }
    public string Log { get; }
    public DemoSettings Settings { get; } = DemoSettings.Tiny(DemoTaskKind.Classification);

    public TinyDemo()
    {
        var log = new StringWriter();
        var exec = new DemoExecution(TtlProcess, Workers: 2, ThreadsPerWorker: 1);
        Results = DemoRunner.Run(Dir.File("demo"), Settings, seed: 21, exec, log);
        Layout = new DemoLayout(Dir.File("demo"), Settings);
        Log = log.ToString();
    }

    public static ProcessStartInfo TtlProcess(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet");
        psi.ArgumentList.Add(TTL.TestSupport.Cli.Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public void Dispose() => Dir.Dispose();
}

[Collection("training")]
public sealed class DemoRunnerTests(TinyDemo demo) : IClassFixture<TinyDemo>
{
    [Fact]
    public void Every_strategy_fixed_cut_and_the_searched_cut_has_a_row_with_statistics_over_the_seeds()
    {
        var r = demo.Results;
        var labels = r.Rows.Select(x => x.Label).ToList();
        Assert.Equal(demo.Settings.Strategies.Select(s => s.Label), labels.Take(demo.Settings.Strategies.Count));
        Assert.Equal(["truncate:3 (layer1.1)", "truncate:5 (layer2.1)", "truncate:7 (layer3.1)", "truncate:9 (layer4.1, all blocks)"], r.Rows.Where(x => x.Kind == "cut").Select(x => x.Label));
        Assert.Equal(DemoResults.SearchedLabel, labels[^1]);
        foreach (var row in r.Rows)
        {
            Assert.Equal(demo.Settings.Seeds, row.Runs.Count);
            foreach (var m in new[] { "auroc", "auprc" })
            {
                var x = row.Metrics[m];
                Assert.Equal(row.Runs.Select(run => run.Metric(m, null)), x.PerSeed);
                Assert.Equal(x.PerSeed.Average(), x.Mean, 12);
                Assert.True(x.Lo <= x.Hi && x.Lo >= 0 && x.Hi <= 1, $"{row.Label} {m}: [{x.Lo}, {x.Hi}]");
                if (row.Label == "full") Assert.Null(row.VsFull[m]);
                else Assert.NotNull(row.VsFull[m]);
            }
            Assert.True(row.LatencyMs > 0 && row.Parameters > 0 && row.Macs > 0, row.Label);
            Assert.Equal(demo.Settings.TestCases, row.Runs[0].CaseIds.Length);
        }
        // Truncation keeps fewer parameters than the full network, and deeper cuts keep more.
        var cuts = r.Rows.Where(x => x.Kind == "cut").ToList();
        Assert.True(cuts.Zip(cuts.Skip(1)).All(p => p.First.Parameters < p.Second.Parameters));
        Assert.True(cuts[0].Parameters < r.Row("full").Parameters);
        // The searched row is, per seed, the trial of the cut the search chose on validation.
        Assert.Equal(demo.Settings.Seeds, r.Search.Count);
        foreach (var s in r.Search)
        {
            Assert.Equal(s.Validation.MaxBy(kv => kv.Value).Value, s.Validation[s.Chosen], 12);
            Assert.Contains($"cut{s.Chosen:D2}-", r.Row(DemoResults.SearchedLabel).Runs[s.Seed].Directory);
        }
    }

    [Fact]
    public void Runs_follow_the_protocol_seeds_have_their_own_training_sets_and_share_the_test_set()
    {
        var l = demo.Layout;
        var configs = Enumerable.Range(0, demo.Settings.Seeds).Select(k => TTL.Training.Config.ExperimentConfig.Load(l.TargetConfig(k))).ToList();
        Assert.Empty(configs[0].Data.Split.Train!.Intersect(configs[1].Data.Split.Train!));
        Assert.Empty(configs[0].Data.Split.Train!.Intersect(configs[0].Data.Split.Val!));
        Assert.All(configs, c => Assert.Equal(demo.Settings.TrainCases, c.Data.Split.Train!.Count));
        Assert.All(configs, c => Assert.True(c.Train.EvaluateTest));
        Assert.NotEqual(configs[0].Seed, configs[1].Seed);
        var full = demo.Results.Row("full").Runs;
        Assert.Equal(full[0].CaseIds, full[1].CaseIds);
        // Every run of a seed used the same budget: epochs, batch, optimizer.
        foreach (var row in demo.Results.Rows)
            foreach (var run in row.Runs)
            {
                var cfg = TTL.Training.Config.ExperimentConfig.Load(Path.Combine(run.Directory, "config.yaml"));
                Assert.Equal((demo.Settings.Epochs, demo.Settings.Batch, demo.Settings.Lr), (cfg.Train.Epochs, cfg.Train.BatchSize, cfg.Optimizer.Lr));
                Assert.Equal(run.Seed == 0 ? configs[0].Seed : configs[1].Seed, cfg.Seed);
                Assert.Equal(row.Label == "scratch" ? null : l.PretrainWeights(run.Seed), cfg.Model.Weights);
            }
    }

    [Fact]
    public void Writes_the_report_files_and_results_json_with_every_statistic()
    {
        var l = demo.Layout;
        foreach (var f in new[] { l.ReportMarkdown, l.ReportHtml, l.ResultsJson })
            Assert.True(File.Exists(f), f);
        foreach (var f in new[] { "learning_curves_val.svg", "learning_curves_loss.svg", "pareto_parameters.svg", "pareto_latency.svg", "search.svg", "svcca.svg" })
            Assert.True(new FileInfo(Path.Combine(l.Figures, f)).Length > 500, f);
        var json = JsonNode.Parse(File.ReadAllText(l.ResultsJson))!;
        Assert.Equal(demo.Settings.Seeds, json["seeds"]!.GetValue<int>());
        var linear = json["rows"]!.AsArray().First(r => r!["label"]!.GetValue<string>() == "linear")!;
        var auroc = linear["metrics"]!["auroc"]!;
        Assert.Equal(2, auroc["ci95"]!.AsArray().Count);
        Assert.Equal(demo.Settings.Seeds, auroc["per_seed"]!.AsArray().Count);
        Assert.NotNull(auroc["vs_full"]!["ci95"]);
        string md = File.ReadAllText(l.ReportMarkdown);
        Assert.Contains("| truncate (searched) |", md);
        Assert.Contains("95% CI", md);
        Assert.Contains(DemoReport.Table(demo.Results), md);
        // SVCCA per block for both fine-tuned models, with its random baseline.
        Assert.Contains(demo.Results.Svcca, b => b.Model == "full fine-tuning" && b.Block == "layer4.1");
        Assert.All(demo.Results.Svcca, b => Assert.InRange(b.MeanCca.Mean, 0, 1.0000001));
        // The demo said where it was and how long the rest would take.
        Assert.Contains("[2/4] training", demo.Log);
        Assert.Contains("left", demo.Log);
    }

    [Fact]
    public void A_second_run_in_the_same_folder_trains_nothing_and_gives_the_same_table()
    {
        var log = new StringWriter();
        var again = DemoRunner.Run(demo.Layout.Root, demo.Settings, seed: 21, new DemoExecution(TinyDemo.TtlProcess, 2, 1), log);
        Assert.Empty(again.Commands);
        Assert.Equal(demo.Results.Rows.Select(r => r.Metrics["auroc"].Mean), again.Rows.Select(r => r.Metrics["auroc"].Mean));
        Assert.Throws<InvalidDataException>(() => DemoRunner.Run(demo.Layout.Root, demo.Settings, seed: 22, new DemoExecution(TinyDemo.TtlProcess, 2, 1), log));
        // A folder that holds something else (an older demo's data, say) is refused rather than reused.
        using var other = new TempDir();
        File.WriteAllText(other.File("notes.txt"), "x");
        var e = Assert.Throws<InvalidDataException>(() => DemoRunner.Run(other.Path, demo.Settings, seed: 21, new DemoExecution(TinyDemo.TtlProcess, 2, 1), log));
        Assert.Contains("not empty", e.Message);
    }

    [Fact]
    public void The_html_report_renders_in_headless_chromium_with_every_figure_drawn_and_no_console_error()
    {
        string html = File.ReadAllText(demo.Layout.ReportHtml);
        // Self-contained: nothing is fetched (the SVG namespace is an identifier, not a request).
        Assert.DoesNotMatch(@"(src|href)\s*=\s*[""']?(https?:)?//", html);
        var dom = HeadlessChromium.DumpDom(demo.Layout.ReportHtml);
        Assert.True(dom.ExitCode == 0, dom.Log);
        Assert.Empty(HeadlessChromium.ConsoleErrors(dom.Log));
        var figures = System.Text.RegularExpressions.Regex.Match(dom.Dom, "data-figures=\"(\\d+)\" data-figures-drawn=\"(\\d+)\"");
        Assert.True(figures.Success, "the page's figure check did not run");
        Assert.Equal("6", figures.Groups[1].Value);
        Assert.Equal(figures.Groups[1].Value, figures.Groups[2].Value);

        string png = Path.Combine(demo.Layout.Root, "report-screenshot.png");
        var shot = HeadlessChromium.Screenshot(demo.Layout.ReportHtml, png, 1280, 2400);
        Assert.True(shot.ExitCode == 0 && File.Exists(png), shot.Log);
        var image = Png.Read(png);
        Assert.Equal((1280, 2400), (image.Width, image.Height));
        // Not blank: many distinct colours (text, the palette's series), and a good share of non-white pixels.
        var colours = new HashSet<int>();
        int ink = 0;
        for (int y = 0; y < image.Height; y += 2)
            for (int x = 0; x < image.Width; x += 2)
            {
                var (r, g, b) = image.Pixel(x, y);
                colours.Add(r << 16 | g << 8 | b);
                if (r < 200 || g < 200 || b < 200) ink++;
            }
        Assert.True(colours.Count > 100, $"{colours.Count} colours");
        Assert.True(ink > 2000, $"{ink} dark sampled pixels");
        // The palette's first colour (#0072B2) is drawn somewhere: the figures rendered, not only text.
        Assert.True(Enumerable.Range(0, image.Width * image.Height).Any(p => image.Rgba[4 * p] == 0x00 && image.Rgba[4 * p + 1] == 0x72 && image.Rgba[4 * p + 2] == 0xB2));
        File.Copy(png, Path.Combine(AppContext.BaseDirectory, "demo-report-screenshot.png"), overwrite: true);
    }
}

/// <summary>The segmentation demo's path on a tiny setting: U-Net pretraining, scratch / full / truncation per level, Dice and HD95 statistics.</summary>
[Collection("training")]
public sealed class SegmentationDemoTests
{
    [Fact]
    public void Runs_every_level_and_reports_dice_and_hd95_with_their_statistics()
    {
        using var dir = new TempDir();
        var settings = DemoSettings.Tiny(DemoTaskKind.Segmentation);
        var r = DemoRunner.Run(dir.File("demo"), settings, seed: 5, new DemoExecution(TinyDemo.TtlProcess, 2, 1), TextWriter.Null);
        Assert.Equal(["dice", "hd95"], r.MetricNames);
        Assert.Equal(["scratch", "full", "truncate:1 (level1)", "truncate:2 (level2)", "truncate:3 (level3)", "truncate:4 (level4, all blocks)", DemoResults.SearchedLabel],
            r.Rows.Select(x => x.Label));
        foreach (var row in r.Rows)
        {
            Assert.InRange(row.Metrics["dice"].Mean, 0, 1);
            Assert.True(row.Metrics["dice"].Lo <= row.Metrics["dice"].Hi);
            Assert.Equal(settings.TestCases, row.Runs[0].CaseIds.Length);
            Assert.True(row.Runs[0].CaseColumns.ContainsKey("hd95_1"));
        }
        Assert.True(r.Row("truncate:1 (level1)").Parameters < r.Row("full").Parameters);
        var layout = new DemoLayout(dir.File("demo"), settings);
        Assert.Contains("Dice mean ± sd [95% CI]", File.ReadAllText(layout.ReportMarkdown));
        Assert.True(File.Exists(layout.ReportHtml));
    }
}
