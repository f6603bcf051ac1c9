using System.Text.Json;
using TTL.Torch;
using TTL.Torch.Serialization;
using TTL.TestSupport;
using TTL.Training.Metrics;

namespace TTL.Training.Tests;

/// <summary>
/// Metrics against scikit-learn (AUROC, AUPRC, F1, balanced accuracy, accuracy, sensitivity,
/// specificity) and a scipy reference (Dice, HD95 with distance_transform_edt). Tolerance 1e-9:
/// both sides compute the same closed forms in double precision.
/// </summary>
public class MetricsOracleTests : IClassFixture<MetricsOracleTests.Cases>
{
    public sealed class Cases
    {
        public Dictionary<string, (double[] Probs, int[] Labels, int Classes)> Classification { get; } = new();
        public Dictionary<string, (int[] Pred, int[] Truth, int[] Shape, double[] Spacing)> Segmentation { get; } = new();
        public JsonElement Reference { get; }

        public Cases()
        {
            var rng = new Random(5);
            // Binary with ties (scores rounded to 0.1), a near-perfect binary case, and 4 classes.
            Classification["binary_ties"] = MakeClassification(rng, 120, 2, round: true);
            Classification["binary_separable"] = MakeClassification(rng, 60, 2, round: false, signal: 4);
            Classification["multiclass"] = MakeClassification(rng, 150, 4, round: false);
            Segmentation["blobs_aniso"] = MakeSegmentation(rng, [20, 24, 17], [0.7, 0.9, 2.5], classes: 3);
            Segmentation["touching_border"] = MakeSegmentation(rng, [12, 10, 14], [1.0, 1.0, 1.0], classes: 2, border: true);

            var records = new List<TensorRecord>();
            foreach (var (name, c) in Classification)
            {
                records.Add(Record($"cls.{name}.probs", c.Probs, [c.Labels.Length, c.Classes]));
                records.Add(Record($"cls.{name}.labels", c.Labels.Select(v => (long)v).ToArray(), [c.Labels.Length]));
            }
            foreach (var (name, s) in Segmentation)
            {
                long[] shape = s.Shape.Select(v => (long)v).ToArray();
                records.Add(Record($"seg.{name}.pred", s.Pred.Select(v => (long)v).ToArray(), shape));
                records.Add(Record($"seg.{name}.truth", s.Truth.Select(v => (long)v).ToArray(), shape));
                records.Add(Record($"seg.{name}.spacing", s.Spacing, [3]));
            }
            using var dir = new TempDir();
            string path = dir.File("metrics.safetensors");
            Safetensors.Write(path, records);
            Reference = JsonDocument.Parse(Python.RunOracle("metrics_ref.py", path)).RootElement.Clone();
        }

        private static TensorRecord Record(string name, double[] v, long[] shape) =>
            new(name, DType.Float64, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray());

        private static TensorRecord Record(string name, long[] v, long[] shape) =>
            new(name, DType.Int64, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray());

        private static (double[], int[], int) MakeClassification(Random rng, int n, int classes, bool round, double signal = 1)
        {
            var probs = new double[n * classes];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = rng.Next(classes);
                double sum = 0;
                for (int k = 0; k < classes; k++)
                {
                    double logit = rng.NextDouble() * 2 + (k == labels[i] ? signal : 0);
                    probs[i * classes + k] = Math.Exp(logit);
                    sum += probs[i * classes + k];
                }
                for (int k = 0; k < classes; k++)
                {
                    probs[i * classes + k] /= sum;
                    if (round) probs[i * classes + k] = Math.Round(probs[i * classes + k], 1);
                }
            }
            return (probs, labels, classes);
        }

        private static (int[], int[], int[], double[]) MakeSegmentation(Random rng, int[] shape, double[] spacing, int classes, bool border = false)
        {
            int n = shape[0] * shape[1] * shape[2];
            var pred = new int[n];
            var truth = new int[n];
            for (int c = 1; c < classes; c++)
            {
                // Two overlapping ellipsoids per class, shifted between truth and prediction.
                double ci = border ? 0 : rng.Next(4, shape[0] - 4), cj = rng.Next(3, shape[1] - 3), ck = rng.Next(3, shape[2] - 3);
                double r = 3 + rng.NextDouble() * 2;
                Paint(truth, shape, c, ci, cj, ck, r);
                Paint(pred, shape, c, ci + rng.Next(-2, 3), cj + rng.Next(-1, 2), ck + rng.Next(-1, 2), r * (0.8 + rng.NextDouble() * 0.4));
            }
            return (pred, truth, shape, spacing);
        }

        private static void Paint(int[] labels, int[] shape, int c, double ci, double cj, double ck, double r)
        {
            for (int i = 0; i < shape[0]; i++)
                for (int j = 0; j < shape[1]; j++)
                    for (int k = 0; k < shape[2]; k++)
                    {
                        double d = (i - ci) * (i - ci) + (j - cj) * (j - cj) + (k - ck) * (k - ck) / 2.0;
                        if (d <= r * r) labels[(i * shape[1] + j) * shape[2] + k] = c;
                    }
        }
    }

    private readonly Cases _cases;

    public MetricsOracleTests(Cases cases) => _cases = cases;

    [Theory]
    [InlineData("binary_ties")]
    [InlineData("binary_separable")]
    [InlineData("multiclass")]
    public void ClassificationMetricsEqualScikitLearn(string name)
    {
        var (probs, labels, classes) = _cases.Classification[name];
        var r = ClassificationMetrics.Compute(probs, labels, classes);
        var expected = _cases.Reference.GetProperty($"cls.{name}");
        Assert.Equal(expected.GetProperty("accuracy").GetDouble(), r.Accuracy, 9);
        Assert.Equal(expected.GetProperty("balanced_accuracy").GetDouble(), r.BalancedAccuracy, 9);
        Assert.Equal(expected.GetProperty("auroc").GetDouble(), r.Auroc, 9);
        Assert.Equal(expected.GetProperty("auprc").GetDouble(), r.Auprc, 9);
        Assert.Equal(expected.GetProperty("f1").GetDouble(), r.F1, 9);
        if (classes == 2)
        {
            Assert.Equal(expected.GetProperty("sensitivity").GetDouble(), r.Sensitivity!.Value, 9);
            Assert.Equal(expected.GetProperty("specificity").GetDouble(), r.Specificity!.Value, 9);
        }
    }

    [Theory]
    [InlineData("blobs_aniso")]
    [InlineData("touching_border")]
    public void DiceAndHd95EqualScipyReference(string name)
    {
        var (pred, truth, shape, spacing) = _cases.Segmentation[name];
        int classes = Math.Max(pred.Max(), truth.Max()) + 1;
        var r = SegmentationMetrics.Compute(pred, truth, shape, spacing, classes);
        var expected = _cases.Reference.GetProperty($"seg.{name}");
        var dice = expected.GetProperty("dice").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var hd = expected.GetProperty("hd95").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble()).ToArray();
        Assert.Equal(dice.Length, r.DicePerClass.Length);
        for (int c = 0; c < dice.Length; c++)
        {
            Assert.Equal(dice[c], r.DicePerClass[c], 9);
            Assert.Equal(hd[c], r.Hd95PerClass[c], 9);
        }
    }

    [Fact]
    public void DistanceTransformEqualsBruteForceOnAnisotropicGrid()
    {
        int[] shape = [7, 5, 9];
        double[] spacing = [0.5, 1.5, 2.0];
        var rng = new Random(3);
        var feature = new bool[7 * 5 * 9];
        for (int v = 0; v < feature.Length; v++) feature[v] = rng.NextDouble() < 0.05;
        feature[0] = true;
        var d = DistanceTransform.Compute(feature, shape, spacing);
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 5; j++)
                for (int k = 0; k < 9; k++)
                {
                    double best = double.PositiveInfinity;
                    for (int v = 0; v < feature.Length; v++)
                    {
                        if (!feature[v]) continue;
                        int fi = v / 45, fj = v / 9 % 5, fk = v % 9;
                        double dd = Math.Pow((i - fi) * 0.5, 2) + Math.Pow((j - fj) * 1.5, 2) + Math.Pow((k - fk) * 2.0, 2);
                        best = Math.Min(best, dd);
                    }
                    Assert.Equal(Math.Sqrt(best), d[(i * 5 + j) * 9 + k], 9);
                }
    }

    [Fact]
    public void EmptyMasksGiveDefinedDiceAndNanHausdorff()
    {
        int[] shape = [4, 4, 4];
        var empty = new int[64];
        var r = SegmentationMetrics.Compute(empty, empty, shape, [1, 1, 1], classes: 2);
        Assert.Equal(1.0, r.DicePerClass[0]);
        Assert.True(double.IsNaN(r.Hd95PerClass[0]));
        var one = new int[64];
        one[21] = 1;
        var missed = SegmentationMetrics.Compute(empty, one, shape, [1, 1, 1], classes: 2);
        Assert.Equal(0.0, missed.DicePerClass[0]);
    }
}
