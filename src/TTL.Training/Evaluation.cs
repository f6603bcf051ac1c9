using System.Text.Json.Nodes;
using TTL.Imaging.Datasets;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Training.Data;
using TTL.Training.Distributed;
using TTL.Training.Inference;
using TTL.Training.Metrics;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Training;

/// <summary>
/// Per-case results of an evaluation: one row per scored case, one value per column
/// (classification: <c>label, p_0 … p_{K−1}</c>; segmentation: <c>dice_1 …, hd95_1 …</c> per foreground class).
/// </summary>
public sealed record CaseTable(IReadOnlyList<string> Columns, IReadOnlyList<(string Id, double[] Values)> Rows)
{
    /// <summary>CSV with a header <c>id,column…</c>; non-finite values are empty cells.</summary>
    public string ToCsv()
    {
        var sb = new System.Text.StringBuilder("id," + string.Join(",", Columns) + "\n");
        foreach (var (id, values) in Rows)
            sb.Append(id).Append(',').AppendJoin(',', values.Select(v => double.IsFinite(v) ? v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "")).Append('\n');
        return sb.ToString();
    }
}

/// <summary>Metrics of one evaluation, by name (the JSON keys of `ttl eval --json`), and the per-case table behind them.</summary>
public sealed class EvaluationMetrics
{
    public int N { get; init; }
    public Dictionary<string, double> Values { get; } = new();
    public Dictionary<string, double[]> PerClass { get; } = new();
    public CaseTable? Cases { get; init; }

    public double Get(string name) => Values.TryGetValue(name, out var v) ? v
        : throw new InvalidDataException($"metric '{name}' is not one of {string.Join(", ", Values.Keys)}");

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["n"] = N };
        foreach (var (k, v) in Values) o[k] = double.IsFinite(v) ? v : null;
        foreach (var (k, v) in PerClass) o[k] = new JsonArray(v.Select(x => (JsonNode?)(double.IsFinite(x) ? JsonValue.Create(x) : null)).ToArray());
        return o;
    }
}

/// <summary>One case's prediction: class probabilities (classification) and the true label if known.</summary>
public sealed record CasePrediction(string Id, double[] Probabilities, int? Label);

/// <summary>
/// Runs a trained model over cases in eval mode and scores it. Under several ranks each rank runs
/// its shard of the cases (i ≡ rank mod world size) and the per-case results are summed into
/// every rank (each row is computed by exactly one rank, the others contribute zeros), so every
/// rank scores the same full set, as one process would.
/// </summary>
public static class Evaluation
{
    public static EvaluationMetrics Evaluate(Experiment x, IReadOnlyList<DatasetCase> cases, double overlap, DistributedContext? distributed = null)
    {
        var dist = distributed ?? DistributedContext.Single;
        var source = ReferenceEquals(cases, x.Split.Validation) ? x.Validation
            : new SampleSource(cases, x.Pipeline, x.Config.Data.Cache, x.Task == TaskKind.Segmentation, null, 0, runner: x.Runner);
        return x.Task == TaskKind.Segmentation ? Segment(x, source, overlap, dist) : Score(Classify(x, source, dist), x.Classes);
    }

    /// <summary>Class probabilities for every case of the source (softmax of the logits).</summary>
    public static List<CasePrediction> Classify(Experiment x, SampleSource source, DistributedContext? distributed = null)
    {
        var dist = distributed ?? DistributedContext.Single;
        x.Model.SetTraining(false);
        var net = x.Model.Network;
        int batchSize = x.Config.Train.BatchSize;
        var mine = dist.Shard(source.Count).ToArray();
        var probabilities = new double[source.Count][];
        int k = x.Classes;
        using (torch.no_grad())
            for (int start = 0; start < mine.Length; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var indices = mine.AsSpan(start, Math.Min(batchSize, mine.Length - start)).ToArray();
                var samples = indices.Select(i => source.Prepare(i, 0, train: false) with { ClassLabel = source.Cases[i].ClassLabel ?? 0 }).ToList();
                using var batch = Batch.Collate(samples, x.Device);
                Tensor logits;
                using (x.Precision.Forward()) logits = net.call(batch.Images);
                var probs = F.softmax(logits.to(DType.Float32), 1).to(DType.Float64).data<double>();
                k = (int)(probs.Length / samples.Count);
                for (int n = 0; n < samples.Count; n++) probabilities[indices[n]] = probs.AsSpan(n * k, k).ToArray();
            }
        if (dist.WorldSize > 1)
        {
            var all = dist.Sum(Enumerable.Range(0, source.Count).SelectMany(i => probabilities[i] ?? new double[k]).ToArray());
            for (int i = 0; i < source.Count; i++) probabilities[i] = all.AsSpan(i * k, k).ToArray();
        }
        return Enumerable.Range(0, source.Count)
            .Select(i => new CasePrediction(source.Cases[i].Id, probabilities[i], source.Cases[i].ClassLabel)).ToList();
    }

    public static EvaluationMetrics Score(IReadOnlyList<CasePrediction> predictions, int classes)
    {
        var labelled = predictions.Where(p => p.Label is not null).ToList();
        if (labelled.Count == 0) throw new InvalidDataException("no case with a class label to score");
        var probs = labelled.SelectMany(p => p.Probabilities).ToArray();
        var r = ClassificationMetrics.Compute(probs, labelled.Select(p => p.Label!.Value).ToArray(), classes);
        var table = new CaseTable(["label", .. Enumerable.Range(0, classes).Select(k => $"p_{k}")],
            labelled.Select(p => (p.Id, (double[])[p.Label!.Value, .. p.Probabilities])).ToList());
        var m = new EvaluationMetrics { N = r.N, Cases = table };
        m.Values["accuracy"] = r.Accuracy;
        m.Values["balanced_accuracy"] = r.BalancedAccuracy;
        m.Values["auroc"] = r.Auroc;
        m.Values["auprc"] = r.Auprc;
        m.Values["f1"] = r.F1;
        if (r.Sensitivity is double se) m.Values["sensitivity"] = se;
        if (r.Specificity is double sp) m.Values["specificity"] = sp;
        return m;
    }

    /// <summary>Sliding-window logits [K, I, J, K] of one preprocessed case.</summary>
    public static Tensor SegmentLogits(Experiment x, PreparedSample s, double overlap, bool tta = false)
    {
        x.Model.SetTraining(false);
        var net = x.Model.Network;
        using var host = torch.tensor(s.Image, s.Channels, s.Shape[0], s.Shape[1], s.Shape[2]);
        using var volume = host.to(x.Device);
        var options = new SlidingWindowOptions { PatchSize = x.Config.Train.PatchSize!, Overlap = overlap, BatchSize = x.Config.Train.BatchSize, FlipTta = tta };
        return SlidingWindow.Predict(volume, t =>
        {
            using (x.Precision.Forward())
            {
                using var y = net.call(t);
                return y.to(DType.Float32);
            }
        }, options);
    }

    private static EvaluationMetrics Segment(Experiment x, SampleSource source, double overlap, DistributedContext dist)
    {
        // Per case: [scored, dice per foreground class…, hd95 per foreground class…]; rows of other ranks' cases stay zero.
        int per = x.Classes - 1, width = 1 + 2 * per;
        var rows = new double[source.Count * width];
        foreach (int i in dist.Shard(source.Count))
        {
            var s = source.Prepare(i, 0, train: false);
            if (s.LabelMap is null) continue;
            int[] predicted;
            using (var scope = torch.NewDisposeScope())
                predicted = SegmentLogits(x, s, overlap).argmax(0).to(DType.Int32).data<int>();
            var truth = s.LabelMap.Select(v => (int)v).ToArray();
            var r = SegmentationMetrics.Compute(predicted, truth, s.Shape, source.Deterministic(i).Image.Spacing, x.Classes);
            rows[i * width] = 1;
            r.DicePerClass.CopyTo(rows, i * width + 1);
            r.Hd95PerClass.CopyTo(rows, i * width + 1 + per);
        }
        rows = dist.Sum(rows);
        var dice = new List<double[]>();
        var hd = new List<double[]>();
        var table = new List<(string, double[])>();
        for (int i = 0; i < source.Count; i++)
        {
            if (rows[i * width] == 0) continue;
            dice.Add(rows.AsSpan(i * width + 1, per).ToArray());
            hd.Add(rows.AsSpan(i * width + 1 + per, per).ToArray());
            table.Add((source.Cases[i].Id, rows.AsSpan(i * width + 1, 2 * per).ToArray()));
        }
        if (dice.Count == 0) throw new InvalidDataException("no case with a label map to score");
        var columns = Enumerable.Range(1, per).Select(c => $"dice_{c}").Concat(Enumerable.Range(1, per).Select(c => $"hd95_{c}")).ToList();
        var m = new EvaluationMetrics { N = dice.Count, Cases = new CaseTable(columns, table) };
        var dicePerClass = NanMeanColumns(dice);
        var hdPerClass = NanMeanColumns(hd);
        m.PerClass["dice_per_class"] = dicePerClass;
        m.PerClass["hd95_per_class"] = hdPerClass;
        m.Values["dice"] = NanMean(dicePerClass);
        m.Values["hd95"] = NanMean(hdPerClass);
        return m;
    }

    private static double[] NanMeanColumns(List<double[]> rows) =>
        Enumerable.Range(0, rows[0].Length).Select(c => NanMean(rows.Select(r => r[c]))).ToArray();

    private static double NanMean(IEnumerable<double> v)
    {
        var finite = v.Where(double.IsFinite).ToList();
        return finite.Count == 0 ? double.NaN : finite.Average();
    }
}
