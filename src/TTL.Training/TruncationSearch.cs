using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.Models;
using TTL.Models.Strategies;
using TTL.Training.Config;
using TTL.Training.Runs;

namespace TTL.Training;

/// <summary>One training of the search: truncate at a cut with one seed, in its own run directory.</summary>
public sealed record SearchTrial(string Stage, CutPoint Cut, int SeedIndex, string Directory)
{
    public bool Finished => File.Exists(Path.Combine(Directory, "summary.json"));
}

/// <summary>A cut's results over seeds.</summary>
public sealed record SearchRow(int Cut, string Name, string Stage, double Mean, double Std, int Seeds, long Parameters, long Macs, double LatencyMs);

public sealed record SearchResult(string Metric, IReadOnlyList<SearchRow> Rows, SearchRow Chosen, string Reason);

/// <summary>
/// The two-stage hierarchical truncation search. The coarse stage trains <c>truncate:K</c> (or the
/// configured cut-taking strategy, such as <c>twophase:K</c>, with K varied) at
/// every stage boundary (a ResNet: the end of layer1..layer4); the fine stage trains every other
/// block of the best boundary's stage (the boundary before it is already a coarse trial). That is
/// 4 + (blocks in the winning stage − 1) trainings per seed instead of one per cut point. Each trial
/// is an ordinary run directory under the search directory, skipped when already finished, so a
/// search resumes where it stopped; <c>--shard i/n</c> runs every n-th trial of a stage so several
/// machines can share it, and the merge reads whatever the shared folder holds. The chosen cut has
/// the highest mean validation metric; ties go to the shallower cut (fewer parameters).
/// </summary>
public sealed class TruncationSearch
{
    private readonly ExperimentConfig _cfg;
    private readonly string _dir;
    private readonly int _seeds;

    public TruncationSearch(ExperimentConfig cfg, string directory, int seeds = 1)
    {
        if (seeds < 1) throw new ArgumentException("a search needs at least one seed");
        _cfg = cfg;
        _dir = Path.GetFullPath(directory);
        _seeds = seeds;
        Cuts = Architectures.CutPointsOf(cfg.Model.Arch, Experiment.Options(cfg.Model));
    }

    public IReadOnlyList<CutPoint> Cuts { get; }

    public IReadOnlyList<SearchTrial> CoarseTrials() => Trials("coarse", Cuts.Where(c => c.EndsStage));

    /// <summary>The fine stage's trials, or null while the coarse stage is unfinished.</summary>
    public IReadOnlyList<SearchTrial>? FineTrials()
    {
        var coarse = CoarseTrials();
        if (!coarse.All(t => t.Finished)) return null;
        var best = Best(Rows(coarse, "coarse"));
        var inStage = Cuts.Where(c => c.Stage == Cuts[best.Cut - 1].Stage && !c.EndsStage);
        return Trials("fine", inStage);
    }

    private List<SearchTrial> Trials(string stage, IEnumerable<CutPoint> cuts) =>
        cuts.SelectMany(c => Enumerable.Range(0, _seeds).Select(s => new SearchTrial(stage, c, s, TrialDirectory(_dir, c, s)))).ToList();

    /// <summary>The run folder of the trial at <paramref name="cut"/> with seed index <paramref name="seedIndex"/> in a search folder.</summary>
    public static string TrialDirectory(string searchDirectory, CutPoint cut, int seedIndex) =>
        Path.Combine(Path.GetFullPath(searchDirectory), $"cut{cut.Index:D2}-{cut.Name}-seed{seedIndex}");

    /// <summary>Trains the unfinished trials of this shard (i of n); returns how many ran.</summary>
    public int Run(IReadOnlyList<SearchTrial> trials, int shardIndex, int shardCount, TextWriter log)
    {
        int ran = 0;
        for (int k = shardIndex; k < trials.Count; k += shardCount)
        {
            var t = trials[k];
            if (t.Finished) { log.WriteLine($"{t.Stage} {t.Cut}: seed {t.SeedIndex} already finished"); continue; }
            log.WriteLine($"{t.Stage} {t.Cut}: seed {t.SeedIndex} → {t.Directory}");
            // An interrupted trial leaves last.ckpt without summary.json: resume it.
            bool resume = File.Exists(Path.Combine(t.Directory, "last.ckpt"));
            var cfg = _cfg with { Model = _cfg.Model with { Strategy = TrialStrategy(t.Cut.Index) }, Seed = _cfg.Seed + t.SeedIndex };
            new Trainer(cfg, t.Directory, log).Run(resume);
            ran++;
        }
        return ran;
    }

    /// <summary>
    /// The strategy a trial at <paramref name="cut"/> trains: the configured strategy with its cut
    /// replaced when it takes one (<c>twophase:K,head_epochs=3</c> searches the two-phase recipe's K,
    /// its options kept), else <c>truncate:K</c>.
    /// </summary>
    public string TrialStrategy(int cut)
    {
        var configured = Strategy.Parse(_cfg.Model.Strategy);
        return (configured.TakesCut ? configured.WithCut(cut.ToString(CultureInfo.InvariantCulture)) : new Strategy(StrategyKind.Truncate, cut.ToString(CultureInfo.InvariantCulture))).ToString();
    }

    /// <summary>Reads every finished trial and writes search.json and search.md.</summary>
    public SearchResult Merge()
    {
        var coarse = CoarseTrials();
        var fine = FineTrials() ?? [];
        var rows = Rows(coarse, "coarse").Concat(Rows(fine, "fine")).OrderBy(r => r.Cut).ToList();
        if (rows.Count == 0) throw new InvalidDataException($"{_dir}: no finished trial to merge");
        var chosen = Best(rows);
        string metric = ReadSummary(coarse.Concat(fine).First(t => t.Finished))["metric"]!.GetValue<string>();
        int missing = coarse.Concat(fine).Count(t => !t.Finished);
        string reason = $"highest mean validation {metric} ({chosen.Mean:F4} ± {chosen.Std:F4} over {chosen.Seeds} seed(s)) among {rows.Count} cut(s)"
            + (missing > 0 ? $"; {missing} trial(s) not finished yet" : "")
            + (rows.Count(r => Math.Abs(r.Mean - chosen.Mean) < 1e-12) > 1 ? "; tied, the shallower cut wins" : "");
        var result = new SearchResult(metric, rows, chosen, reason);
        Write(result);
        return result;
    }

    private List<SearchRow> Rows(IEnumerable<SearchTrial> trials, string stage) =>
        trials.Where(t => t.Finished).GroupBy(t => t.Cut.Index).Select(g =>
        {
            var summaries = g.Select(ReadSummary).ToList();
            var values = summaries.Select(s => s["best_value"]?.GetValue<double>() ?? double.NaN).ToList();
            double mean = values.Average();
            double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
            var first = summaries[0];
            return new SearchRow(g.Key, g.First().Cut.Name, stage, mean, std, values.Count,
                first["parameters"]!.GetValue<long>(), first["macs"]!.GetValue<long>(),
                summaries.Select(s => s["latency_ms"]!.GetValue<double>()).Order().ElementAt(summaries.Count / 2));
        }).ToList();

    private static SearchRow Best(IReadOnlyList<SearchRow> rows) =>
        rows.Where(r => double.IsFinite(r.Mean)).OrderByDescending(r => r.Mean).ThenBy(r => r.Parameters).FirstOrDefault()
            ?? throw new InvalidDataException("no trial produced a finite validation metric");

    private static JsonObject ReadSummary(SearchTrial t) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(t.Directory, "summary.json")))!;

    private void Write(SearchResult r)
    {
        RunFiles.WriteJson(Path.Combine(_dir, "search.json"), new
        {
            metric = r.Metric,
            chosen = new { cut = r.Chosen.Cut, name = r.Chosen.Name, mean = r.Chosen.Mean, std = r.Chosen.Std },
            reason = r.Reason,
            rows = r.Rows.Select(x => new { cut = x.Cut, name = x.Name, stage = x.Stage, mean = x.Mean, std = x.Std, seeds = x.Seeds,
                parameters = x.Parameters, macs = x.Macs, latency_ms = x.LatencyMs }),
        });
        RunFiles.WriteText(Path.Combine(_dir, "search.md"), Markdown(r));
    }

    public static string Markdown(SearchResult r)
    {
        var sb = new StringBuilder();
        sb.Append($"| cut | block | stage | {r.Metric} (mean ± std) | seeds | parameters | MACs | latency ms |\n");
        sb.Append("|---:|---|---|---|---:|---:|---:|---:|\n");
        foreach (var x in r.Rows)
            sb.Append(CultureInfo.InvariantCulture, $"| {x.Cut}{(x.Cut == r.Chosen.Cut ? " **(chosen)**" : "")} | {x.Name} | {x.Stage} | {x.Mean:F4} ± {x.Std:F4} | {x.Seeds} | {x.Parameters:N0} | {x.Macs:N0} | {x.LatencyMs:F1} |\n");
        sb.Append($"\nChosen cut {r.Chosen.Cut} ({r.Chosen.Name}): {r.Reason}.\n");
        return sb.ToString();
    }
}
