using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using TTL.Analysis.Plots;
using TTL.Training.Metrics;
using TTL.Training.Runs;

namespace TTL.Training.Demo;

/// <summary>
/// The demo's report: report.md and a self-contained report.html (inline SVG figures and styles, no
/// external request, no script beyond a check that every figure drew), the figures as SVG files,
/// and results.json with every number the report shows.
/// </summary>
public static class DemoReport
{
    private sealed record Figure(string File, string Title, string Caption, string Svg);

    public static void Write(DemoLayout l, DemoSettings s, DemoResults r)
    {
        var figures = Figures(s, r);
        foreach (var f in figures) RunFiles.WriteText(Path.Combine(l.Figures, f.File), f.Svg);
        RunFiles.WriteText(l.ResultsJson, Json(s, r).ToJsonString(RunFiles.Json) + "\n");
        RunFiles.WriteText(l.ReportMarkdown, Markdown(s, r, figures));
        RunFiles.WriteText(l.ReportHtml, Html(s, r, figures));
    }

    private static string F(double v, int digits = 3) => double.IsFinite(v) ? v.ToString("F" + digits, CultureInfo.InvariantCulture) : "–";

    private static string Signed(double v, int digits = 3) => double.IsFinite(v) ? v.ToString("+0." + new string('0', digits) + ";−0." + new string('0', digits), CultureInfo.InvariantCulture) : "–";

    private static string Params(long n) => n >= 1_000_000 ? (n / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M" : (n / 1e3).ToString("F0", CultureInfo.InvariantCulture) + " k";

    /// <summary>The parameter count, or its range over seeds when the model differs per seed (the searched cut).</summary>
    private static string ParamRange(DemoRow row)
    {
        long lo = row.Runs.Min(r => r.Parameters), hi = row.Runs.Max(r => r.Parameters);
        return lo == hi ? Params(lo) : $"{Params(lo)}–{Params(hi)}";
    }

    private static string MetricTitle(string m) => m switch { "auroc" => "AUROC", "auprc" => "AUPRC", "dice" => "Dice", "hd95" => "HD95 (mm)", _ => m };

    private static bool HigherIsBetter(string m) => m != "hd95";

    /// <summary>The table the CLI prints: metric mean ± sd [95 % CI] per row, the difference against full fine-tuning, size and speed.</summary>
    public static string Table(DemoResults r)
    {
        var sb = new StringBuilder();
        sb.Append("| strategy |");
        foreach (var m in r.MetricNames) sb.Append($" {MetricTitle(m)} mean ± sd [95% CI] |");
        sb.Append($" Δ{MetricTitle(r.MetricNames[0])} vs full [95% CI] | seeds better | parameters | MMACs | latency ms | train s |\n|---|");
        foreach (var _ in r.MetricNames) sb.Append("---|");
        sb.Append("---|---:|---:|---:|---:|---:|\n");
        foreach (var row in r.Rows)
        {
            sb.Append($"| {row.Label} |");
            foreach (var m in r.MetricNames)
            {
                var x = row.Metrics[m];
                sb.Append($" {F(x.Mean)} ± {F(x.Sd)} [{F(x.Lo)}, {F(x.Hi)}] |");
            }
            var d = row.VsFull.GetValueOrDefault(r.MetricNames[0]);
            sb.Append(d is null ? " – | – |" : $" {Signed(d.Mean)} [{Signed(d.Lo)}, {Signed(d.Hi)}] | {d.SeedsPositive}/{d.Seeds} |");
            sb.Append(CultureInfo.InvariantCulture, $" {ParamRange(row)} | {row.Macs / 1e6:F1} | {F(row.LatencyMs, 2)} | {row.TrainSeconds:F0} |\n");
        }
        return sb.ToString();
    }

    private static string Protocol(DemoSettings s, DemoResults r)
    {
        string task = s.Task == DemoTaskKind.Classification
            ? "the source task asks whether most of three striped blobs have axis-aligned stripes; the target task whether one blob has the lesion texture (stripes along j)"
            : "the source task segments every blob with axis-aligned stripes; the target task segments only the lesion blob (stripes along j)";
        string net = s.Task == DemoTaskKind.Classification
            ? $"{s.Arch} (width {s.Width}, conv1 stride {string.Join("×", s.Conv1Stride ?? [2, 2, 2])})"
            : $"{s.Arch} (level-1 width {s.Width})";
        return string.Create(CultureInfo.InvariantCulture,
            $"Synthetic {string.Join("×", s.Size)} volumes (docs/demo.md): {task}. Both share their low-level vocabulary (six stripe textures on noisy tissue). " +
            $"For each of {s.Seeds} seeds: {net} pretrained from scratch on {s.SourceCases} source cases ({s.PretrainEpochs} epochs, AdamW {s.PretrainLr:G3}); " +
            $"then every strategy trained on the seed's own {s.TrainCases} target cases with model selection on its own {s.ValCases} validation cases " +
            $"({s.Epochs} epochs, batch {s.Batch}, AdamW {s.Lr:G3}, cosine schedule, weight decay 1e-4, the same for every strategy), " +
            $"and scored once on the same {r.TestCases} held-out test cases. The searched cut is chosen on validation only (two-stage search). " +
            $"Intervals: 95 % two-level paired bootstrap over seeds and test cases ({s.BootstrapReplicates} replicates); " +
            $"Δ is the paired difference against full fine-tuning; \"seeds better\" counts the seeds where the strategy beat full fine-tuning. " +
            $"Latency: one volume, batch 1, one thread, median of 20 forward passes.");
    }

    private static string Reading(DemoResults r)
    {
        string m = r.MetricNames[0];
        bool up = HigherIsBetter(m);
        var searched = r.Row(DemoResults.SearchedLabel);
        var full = r.Rows.FirstOrDefault(x => x.Label == "full");
        var best = (up ? r.Rows.OrderByDescending(x => x.Metrics[m].Mean) : r.Rows.OrderBy(x => x.Metrics[m].Mean)).First();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Highest mean test {MetricTitle(m)}: {best.Label} ({F(best.Metrics[m].Mean)}). ");
        if (full is not null && searched.VsFull.GetValueOrDefault(m) is { } d)
        {
            string verdict = d.Lo > 0 == up && d.Hi > 0 == up ? "better than" : d.Lo < 0 == up && d.Hi < 0 == up ? "worse than" : "not distinguishable from";
            sb.Append(CultureInfo.InvariantCulture,
                $"The searched truncation is {verdict} full fine-tuning at this sample size (Δ{MetricTitle(m)} {Signed(d.Mean)}, 95 % CI [{Signed(d.Lo)}, {Signed(d.Hi)}], better in {d.SeedsPositive} of {d.Seeds} seeds) ");
            sb.Append(CultureInfo.InvariantCulture,
                $"with {Params(searched.Parameters)} parameters against {Params(full.Parameters)} ({100.0 * searched.Parameters / full.Parameters:F0} %) and {F(searched.LatencyMs, 2)} ms against {F(full.LatencyMs, 2)} ms per volume. ");
        }
        var cuts = r.Search.GroupBy(x => x.ChosenName).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} in {g.Count()}");
        sb.Append($"The search chose {string.Join(", ", cuts)} of {r.Search.Count} seeds.");
        return sb.ToString();
    }

    private static string Markdown(DemoSettings s, DemoResults r, List<Figure> figures)
    {
        var sb = new StringBuilder();
        sb.Append($"# TTL.Volumetric demo ({s.Name}, {s.Task.ToString().ToLowerInvariant()})\n\n");
        sb.Append(Protocol(s, r)).Append("\n\n");
        sb.Append("## Results on the held-out test set\n\n").Append(Table(r)).Append('\n');
        sb.Append(Reading(r)).Append("\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Pretraining (source validation {MetricTitle(r.PretrainMetric)} per seed): {string.Join(", ", r.PretrainValidation.Select(v => F(v)))}.\n\n");
        sb.Append("## Truncation search (validation metric per cut, chosen cut per seed)\n\n");
        sb.Append(SearchTable(r)).Append('\n');
        if (r.Svcca.Count > 0) sb.Append("## SVCCA against the pretrained network\n\n").Append(SvccaTable(r)).Append('\n');
        sb.Append("## Figures\n\n");
        foreach (var f in figures) sb.Append($"- {f.Title}: ![{f.Title}](figures/{f.File}) — {f.Caption}\n");
        if (r.Timing is { } t)
            sb.Append(CultureInfo.InvariantCulture, $"\n## Cost\n\nData {JobPool.Duration(t.DataSeconds)}, training {JobPool.Duration(t.TrainingSeconds)}, total {JobPool.Duration(t.TotalSeconds)} " +
                $"({t.Workers} worker process(es) × {t.ThreadsPerWorker} thread(s); {Environment.ProcessorCount} cores).\n");
        if (r.Commands.Count > 0)
        {
            sb.Append($"\n## Commands\n\nEvery training is an ordinary `ttl train` run ({r.Commands.Count} commands this time); for example:\n\n```\n");
            foreach (var c in r.Commands.Take(4)) sb.Append(c).Append('\n');
            sb.Append("```\n");
        }
        return sb.ToString();
    }

    private static string SearchTable(DemoResults r)
    {
        var cuts = r.Search.SelectMany(x => x.Validation.Keys).Distinct().Order().ToList();
        var sb = new StringBuilder("| seed | chosen |" + string.Concat(cuts.Select(c => $" cut {c} |")) + "\n|---:|---|" + string.Concat(cuts.Select(_ => "---:|")) + "\n");
        foreach (var x in r.Search)
            sb.Append($"| {x.Seed} | {x.Chosen} ({x.ChosenName}) |" + string.Concat(cuts.Select(c => x.Validation.TryGetValue(c, out var v) ? $" {F(v)}{(c == x.Chosen ? "*" : "")} |" : " |"))).Append('\n');
        return sb.ToString();
    }

    private static string SvccaTable(DemoResults r)
    {
        var sb = new StringBuilder("| model | block | seeds | mean CCA (mean ± sd over seeds) | CKA | random baseline |\n|---|---|---:|---:|---:|---:|\n");
        foreach (var b in r.Svcca)
            sb.Append($"| {b.Model} | {b.Block} | {b.Seeds} | {F(b.MeanCca.Mean)} ± {F(b.MeanCca.Sd)} | {F(b.Cka.Mean)} | {F(b.BaselineMeanCca)} |\n");
        return sb.ToString();
    }

    private static List<Figure> Figures(DemoSettings s, DemoResults r)
    {
        string m = r.MetricNames[0];
        var figures = new List<Figure>();
        string Color(int i) => XYChart.Palette[i % XYChart.Palette.Length];
        var curveRows = r.Rows.Where(x => x.Kind != "cut").ToList();

        var val = curveRows.Select((row, i) => new XYChart.Series(row.Label, MeanCurve(row.Runs.Select(run => run.ValCurve)), Color(i), Markers: false)).ToList();
        figures.Add(new Figure("learning_curves_val.svg", "Validation learning curves",
            $"validation {MetricTitle(m)} per epoch, mean over seeds (the searched cut's runs differ per seed)",
            XYChart.Svg($"validation {MetricTitle(m)} per epoch (mean over {s.Seeds} seeds)", new XYChart.Axes("epoch", MetricTitle(m), IntegerX: true), val)));
        var loss = curveRows.Select((row, i) => new XYChart.Series(row.Label, MeanCurve(row.Runs.Select(run => run.LossCurve)), Color(i), Markers: false)).ToList();
        figures.Add(new Figure("learning_curves_loss.svg", "Training loss", "training loss per epoch, mean over seeds",
            XYChart.Svg($"training loss per epoch (mean over {s.Seeds} seeds)", new XYChart.Axes("epoch", "loss", IntegerX: true), loss)));

        // Points are labelled briefly (a fixed cut by its index); the legend names them in full.
        XYChart.Series Pareto(DemoRow row, int i, Func<DemoRow, double> x) =>
            new(row.Label, [new XYChart.Point(x(row), row.Metrics[m].Mean, row.Metrics[m].Lo, row.Metrics[m].Hi,
                row.Kind == "cut" ? $"cut {row.Cut}" : row.Kind == "searched" ? "searched" : row.Label.Split(':')[0])], Color(i), Line: false);
        figures.Add(new Figure("pareto_parameters.svg", "Accuracy against parameters",
            $"test {MetricTitle(m)} (mean, 95 % CI) against parameters (log scale; the searched cut: the median over seeds)",
            XYChart.Svg($"test {MetricTitle(m)} against parameters", new XYChart.Axes("parameters (log scale)", MetricTitle(m), LogX: true),
                r.Rows.Select((row, i) => Pareto(row, i, x => x.Parameters)).ToList())));
        figures.Add(new Figure("pareto_latency.svg", "Accuracy against latency",
            $"test {MetricTitle(m)} (mean, 95 % CI) against inference latency per volume (log scale; the searched cut: seed 0's model)",
            XYChart.Svg($"test {MetricTitle(m)} against latency", new XYChart.Axes("latency ms, batch 1, 1 thread (log scale)", MetricTitle(m), LogX: true),
                r.Rows.Select((row, i) => Pareto(row, i, x => x.LatencyMs)).ToList())));

        var cutNames = r.Rows.Where(x => x.Kind == "cut").ToDictionary(x => (double)x.Cut!.Value, x => x.Cut!.Value.ToString(CultureInfo.InvariantCulture));
        var allCuts = r.Search.SelectMany(x => x.Validation.Keys).Distinct().Order().ToList();
        XYChart.Series PerCut(string label, Func<DemoSearchSeed, IReadOnlyDictionary<int, double>> pick, int color, bool dashed) => new(label,
            allCuts.Select(c =>
            {
                var v = r.Search.Where(x => pick(x).ContainsKey(c)).Select(x => pick(x)[c]).ToList();
                double mean = v.Average(), sd = v.Count > 1 ? Math.Sqrt(v.Sum(y => (y - mean) * (y - mean)) / (v.Count - 1)) : 0;
                return new XYChart.Point(c, mean, mean - sd, mean + sd);
            }).ToList(), Color(color), Dashed: dashed);
        var chosen = r.Search.GroupBy(x => x.Chosen).Select(g => new XYChart.Point(g.Key, r.Search.Where(x => x.Chosen == g.Key).Average(x => x.Validation[g.Key]),
            Label: $"chosen ×{g.Count()}")).ToList();
        figures.Add(new Figure("search.svg", "Truncation search",
            $"{MetricTitle(m)} per cut point, mean ± sd over seeds: validation (what the search sees) and test; labels mark the chosen cuts",
            XYChart.Svg($"{MetricTitle(m)} per cut point", new XYChart.Axes("cut point (1 = after the stem)", MetricTitle(m), IntegerX: true),
                [PerCut("validation", x => x.Validation, 0, false), PerCut("test", x => x.Test, 1, true),
                 new XYChart.Series("chosen on validation", chosen, Color(6), Line: false)])));

        if (r.Svcca.Count > 0)
        {
            var names = r.Svcca.GroupBy(b => b.Cut).ToDictionary(g => (double)g.Key, g => g.First().Block);
            var series = r.Svcca.GroupBy(b => b.Model).Select((g, i) => new XYChart.Series(g.Key,
                g.Select(b => new XYChart.Point(b.Cut, b.MeanCca.Mean, b.MeanCca.Mean - b.MeanCca.Sd, b.MeanCca.Mean + b.MeanCca.Sd)).ToList(), Color(i))).ToList();
            series.Add(new XYChart.Series("random baseline", r.Svcca.GroupBy(b => b.Cut).Select(g => new XYChart.Point(g.Key, g.Average(b => b.BaselineMeanCca))).ToList(),
                Color(7), Markers: false, Dashed: true));
            figures.Add(new Figure("svcca.svg", "SVCCA against the pretrained network",
                "mean canonical correlation between each block of the fine-tuned model and the same block of the pretrained network it started from (mean ± sd over seeds)",
                XYChart.Svg("mean SVCCA with the pretrained network, per block", new XYChart.Axes("block", "mean CCA", YMin: 0, YMax: 1, XTickLabels: names), series)));
        }
        return figures;
    }

    private static List<XYChart.Point> MeanCurve(IEnumerable<double[]> curves)
    {
        var list = curves.ToList();
        int n = list.Max(c => c.Length);
        return Enumerable.Range(0, n).Select(e =>
        {
            var v = list.Where(c => e < c.Length && double.IsFinite(c[e])).Select(c => c[e]).ToList();
            return new XYChart.Point(e + 1, v.Count == 0 ? double.NaN : v.Average());
        }).ToList();
    }

    private static JsonObject Json(DemoSettings s, DemoResults r)
    {
        JsonObject Summary(MetricSummary x) => new()
        {
            ["mean"] = Num(x.Mean), ["sd"] = Num(x.Sd), ["ci95"] = new JsonArray(Num(x.Lo), Num(x.Hi)),
            ["per_seed"] = new JsonArray(x.PerSeed.Select(v => (JsonNode?)Num(v)).ToArray()),
        };
        var rows = new JsonArray();
        foreach (var row in r.Rows)
        {
            var metrics = new JsonObject();
            foreach (var m in r.MetricNames)
            {
                var o = Summary(row.Metrics[m]);
                if (row.VsFull.GetValueOrDefault(m) is { } d)
                    o["vs_full"] = new JsonObject
                    {
                        ["mean"] = Num(d.Mean), ["ci95"] = new JsonArray(Num(d.Lo), Num(d.Hi)), ["p_positive"] = Num(d.ProbabilityPositive),
                        ["seeds_positive"] = d.SeedsPositive, ["seeds"] = d.Seeds,
                    };
                metrics[m] = o;
            }
            rows.Add(new JsonObject
            {
                ["label"] = row.Label, ["kind"] = row.Kind, ["cut"] = row.Cut, ["parameters"] = row.Parameters, ["macs"] = row.Macs,
                ["latency_ms"] = Num(row.LatencyMs), ["train_seconds"] = Num(row.TrainSeconds), ["metrics"] = metrics,
                ["runs"] = new JsonArray(row.Runs.Select(x => (JsonNode?)x.Directory).ToArray()),
            });
        }
        var doc = new JsonObject
        {
            ["demo"] = s.Name,
            ["task"] = s.Task.ToString().ToLowerInvariant(),
            ["seed"] = r.Seed,
            ["seeds"] = s.Seeds,
            ["test_cases"] = r.TestCases,
            ["metrics"] = new JsonArray(r.MetricNames.Select(m => (JsonNode?)m).ToArray()),
            ["pretrain"] = new JsonObject { ["metric"] = r.PretrainMetric, ["validation"] = new JsonArray(r.PretrainValidation.Select(v => (JsonNode?)Num(v)).ToArray()) },
            ["rows"] = rows,
            ["search"] = new JsonArray(r.Search.Select(x => (JsonNode?)new JsonObject
            {
                ["seed"] = x.Seed, ["chosen"] = x.Chosen, ["chosen_name"] = x.ChosenName,
                ["validation"] = new JsonObject(x.Validation.Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)Num(kv.Value)))),
                ["test"] = new JsonObject(x.Test.Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)Num(kv.Value)))),
            }).ToArray()),
            ["svcca"] = new JsonArray(r.Svcca.Select(b => (JsonNode?)new JsonObject
            {
                ["model"] = b.Model, ["cut"] = b.Cut, ["block"] = b.Block, ["mean_cca"] = Summary(b.MeanCca), ["cka"] = Summary(b.Cka), ["baseline_mean_cca"] = Num(b.BaselineMeanCca),
            }).ToArray()),
        };
        if (r.Timing is { } t)
            doc["timing"] = new JsonObject
            {
                ["data_s"] = Math.Round(t.DataSeconds, 1), ["training_s"] = Math.Round(t.TrainingSeconds, 1), ["total_s"] = Math.Round(t.TotalSeconds, 1),
                ["workers"] = t.Workers, ["threads_per_worker"] = t.ThreadsPerWorker, ["cores"] = Environment.ProcessorCount,
            };
        return doc;
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static string Html(DemoSettings s, DemoResults r, List<Figure> figures)
    {
        string E(string x) => WebUtility.HtmlEncode(x);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.Append($"<title>TTL.Volumetric demo ({E(s.Name)})</title>\n");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
        sb.Append("<style>body{font-family:sans-serif;max-width:1260px;margin:24px auto;padding:0 16px;color:#222}table{border-collapse:collapse;font-size:13px;margin:8px 0}" +
                  "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}" +
                  "figure{display:inline-block;margin:6px;vertical-align:top}figcaption{font-size:12px;max-width:580px;color:#444}.reading{background:#f6f9fc;padding:8px 12px;border-left:4px solid #0072B2}" +
                  "pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}</style>\n</head><body>\n");
        sb.Append($"<h1>TTL.Volumetric demo ({E(s.Name)}, {E(s.Task.ToString().ToLowerInvariant())})</h1>\n<p>{E(Protocol(s, r))}</p>\n");
        sb.Append("<h2>Results on the held-out test set</h2>\n").Append(HtmlTable(Table(r))).Append($"<p class=\"reading\">{E(Reading(r))}</p>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p>Pretraining: source validation {E(MetricTitle(r.PretrainMetric))} per seed {E(string.Join(", ", r.PretrainValidation.Select(v => F(v))))}.</p>\n");
        sb.Append("<h2>Figures</h2>\n<div id=\"figures\">\n");
        foreach (var f in figures)
            sb.Append($"<figure data-figure=\"{E(f.File)}\">{f.Svg}<figcaption><b>{E(f.Title)}.</b> {E(f.Caption)}</figcaption></figure>\n");
        sb.Append("</div>\n<h2>Truncation search</h2>\n").Append(HtmlTable(SearchTable(r)));
        if (r.Svcca.Count > 0) sb.Append("<h2>SVCCA against the pretrained network</h2>\n").Append(HtmlTable(SvccaTable(r)));
        if (r.Timing is { } t)
            sb.Append(CultureInfo.InvariantCulture, $"<p>Cost: data {E(JobPool.Duration(t.DataSeconds))}, training {E(JobPool.Duration(t.TrainingSeconds))}, total {E(JobPool.Duration(t.TotalSeconds))} ({t.Workers} worker process(es) × {t.ThreadsPerWorker} thread(s)).</p>\n");
        if (r.Commands.Count > 0)
            sb.Append($"<details><summary>{r.Commands.Count} commands</summary><pre>{E(string.Join("\n", r.Commands))}</pre></details>\n");
        // Marks the page when every figure holds drawn marks: the headless-browser test reads it.
        sb.Append("<script>(function(){var f=document.querySelectorAll('figure[data-figure]');var ok=0;f.forEach(function(x){var s=x.querySelector('svg');" +
                  "if(s&&s.querySelectorAll('polyline,circle,line').length>0&&s.getBoundingClientRect().width>0)ok++;});" +
                  "document.body.setAttribute('data-figures',f.length);document.body.setAttribute('data-figures-drawn',ok);})();</script>\n");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>A Markdown pipe table as an HTML table.</summary>
    private static string HtmlTable(string markdown)
    {
        var lines = markdown.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var sb = new StringBuilder("<table>\n");
        for (int i = 0; i < lines.Length; i++)
        {
            if (i == 1) continue;
            var cells = lines[i].Trim().Trim('|').Split('|').Select(c => WebUtility.HtmlEncode(c.Trim()));
            string tag = i == 0 ? "th" : "td";
            sb.Append("<tr>").Append(string.Concat(cells.Select(c => $"<{tag}>{c}</{tag}>"))).Append("</tr>\n");
        }
        return sb.Append("</table>\n").ToString();
    }
}
