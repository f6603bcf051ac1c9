using System.Text.Json;
using TTL.Imaging;
using TTL.Imaging.Resampling;
using TTL.TestSupport;
using TTL.Torch;
using TTL.Training.Inference;
using F = TTL.Torch.torch.nn.functional;
using Region = TTL.Imaging.CropPad.CropPad;

namespace TTL.Training.Tests;

/// <summary>
/// Predictions made on a preprocessed grid come back onto the original scan's grid. Geometry is
/// checked with nibabel (tests/oracles/nifti_geometry.py): shapes equal, affines within 1e-4 mm
/// (the header stores them as float32).
/// </summary>
public sealed class PredictionWriterTests
{
    // i runs right to left, 0.8 × 0.8 × 2.5 mm, origin away from zero.
    private static readonly double[,] ScanAffine = { { -0.8, 0, 0, 40 }, { 0, 0.8, 0, -25 }, { 0, 0, 2.5, 12 }, { 0, 0, 0, 1 } };
    private static readonly int[] ScanShape = [37, 29, 11];

    /// <summary>An ellipsoid (radii 9, 7, 9 mm) of intensity 1 on 0; the ground truth is intensity &gt; 0.5.</summary>
    private static Volume Scan()
    {
        var data = new float[37 * 29 * 11];
        for (int i = 0; i < 37; i++)
            for (int j = 0; j < 29; j++)
                for (int k = 0; k < 11; k++)
                {
                    double a = (i - 18) * 0.8 / 9, b = (j - 14) * 0.8 / 7, c = (k - 5) * 2.5 / 9;
                    data[(i * 29 + j) * 11 + k] = a * a + b * b + c * c <= 1 ? 1f : 0f;
                }
        return new Volume(data, 1, ScanShape, ScanAffine);
    }

    /// <summary>Two-class pointwise model: logits (0.5 − x, x − 0.5), so arg-max is x &gt; 0.5.</summary>
    private static Tensor Threshold(Tensor x)
    {
        using var w = torch.tensor(new float[] { -1, 1 }, 2, 1, 1, 1, 1);
        using var b = torch.tensor(new float[] { 0.5f, -0.5f }, 2);
        return F.conv3d(x, w, b);
    }

    private static JsonElement Geometry(params string[] files) =>
        JsonDocument.Parse(Python.RunOracle("nifti_geometry.py", files)).RootElement.Clone();

    private static void AssertAffine(JsonElement affine, double[,] expected)
    {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(expected[r, c], affine[r][c].GetDouble(), 4);
    }

    [Fact]
    public void Anisotropic_prediction_is_written_on_the_original_grid()
    {
        using var tmp = new TempDir();
        string scanPath = tmp.File("scan.nii.gz");
        var scan = Scan();
        NiftiWriter.Write(scan, scanPath);
        var pre = Resample.ToSpacing(NiftiReader.Read(scanPath), [1.5, 1.5, 1.5]);
        Assert.NotEqual(ScanShape, pre.Shape);

        using var scope = torch.NewDisposeScope();
        var volume = torch.tensor(pre.Data, 1, pre.I, pre.J, pre.K);
        // The window is neither a divisor of the preprocessed shape nor smaller than it on every axis.
        var logits = SlidingWindow.Predict(volume, Threshold, new SlidingWindowOptions { PatchSize = [12, 12, 12], FlipTta = true, BatchSize = 2 });
        var writer = PredictionWriter.ForImage(scanPath);
        var labels = writer.WriteLabels(PredictionWriter.LabelVolume(logits.argmax(0), pre.Affine), tmp.File("pred.nii.gz"));
        writer.WriteProbabilities(PredictionWriter.ProbabilityVolume(F.softmax(logits, 0), pre.Affine), tmp.File("prob.nii.gz"));

        var g = Geometry(scanPath, tmp.File("pred.nii.gz"), tmp.File("prob.nii.gz"));
        Assert.Equal(ScanShape, g[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(ScanShape, g[1].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([.. ScanShape, 2], g[2].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        foreach (var file in g.EnumerateArray()) AssertAffine(file.GetProperty("affine"), ScanAffine);
        Assert.Equal("uint8", g[1].GetProperty("dtype").GetString());

        // The round trip through the 1.5 mm grid keeps the ellipsoid: Dice against the truth.
        int both = 0, truth = 0, predicted = 0;
        for (int v = 0; v < scan.Data.Length; v++)
        {
            bool t = scan.Data[v] > 0.5f, p = labels.Data[v] == 1;
            both += t && p ? 1 : 0;
            truth += t ? 1 : 0;
            predicted += p ? 1 : 0;
        }
        Assert.True(2.0 * both / (truth + predicted) > 0.9, $"Dice {2.0 * both / (truth + predicted):F3}");
        var back = NiftiReader.Read(tmp.File("pred.nii.gz"));
        Assert.Equal(labels.Data, back.Data);
    }

    [Fact]
    public void Voxels_outside_a_cropped_prediction_are_background()
    {
        var pre = Resample.ToSpacing(Scan(), [1.5, 1.5, 1.5]);
        // The model only saw a box of the preprocessed grid; it called all of it class 1.
        var box = Region.Region(pre, [3, 4, 1], [6, 5, 7]);
        var ones = new Volume(Enumerable.Repeat(1f, (int)box.VoxelCount).ToArray(), 1, box.Shape, box.Affine);
        var writer = new PredictionWriter(ScanShape, ScanAffine);
        var labels = writer.Labels(ones);
        var probs = writer.Probabilities(new Volume([.. Enumerable.Repeat(0f, (int)box.VoxelCount), .. Enumerable.Repeat(1f, (int)box.VoxelCount)], 2, box.Shape, box.Affine));
        int inside = 0;
        long n = labels.VoxelCount;
        for (int i = 0; i < 37; i++)
            for (int j = 0; j < 29; j++)
                for (int k = 0; k < 11; k++)
                {
                    // World position of the scan voxel, then its position on the box grid (both axis-aligned).
                    double[] world = [-0.8 * i + 40, 0.8 * j - 25, 2.5 * k + 12];
                    bool expected = true, tie = false;
                    for (int a = 0; a < 3; a++)
                    {
                        double p = (world[a] - box.Affine[a, 3]) / box.Affine[a, a];
                        expected &= p >= -0.5 && p < box.Shape[a] - 0.5;
                        tie |= Math.Abs(p + 0.5) < 1e-6 || Math.Abs(p - box.Shape[a] + 0.5) < 1e-6;
                    }
                    if (tie) continue;
                    int v = (i * 29 + j) * 11 + k;
                    Assert.Equal(expected ? 1f : 0f, labels.Data[v]);
                    Assert.Equal(expected ? 0f : 1f, probs.Data[v]);
                    Assert.Equal(expected ? 1f : 0f, probs.Data[n + v]);
                    inside += expected ? 1 : 0;
                }
        Assert.InRange(inside, 1, n - 1);
    }

    [Fact]
    public void Labels_on_the_same_grid_are_unchanged_and_keep_the_header_codes()
    {
        using var tmp = new TempDir();
        var scan = Scan();
        var rng = new Random(3);
        var labels = new Volume(scan.Data.Select(_ => (float)rng.Next(0, 300)).ToArray(), 1, ScanShape, ScanAffine);
        NiftiWriter.Write(scan, tmp.File("scan.nii"));
        var writer = PredictionWriter.ForImage(tmp.File("scan.nii"));
        var written = writer.WriteLabels(labels, tmp.File("labels.nii.gz"));
        Assert.Equal(labels.Data, written.Data);
        var header = NiftiReader.ReadHeader(tmp.File("labels.nii.gz"));
        // Labels above 255 need int16.
        Assert.Equal(NiftiDataType.Int16, header.DataType);
        Assert.Equal(NiftiReader.ReadHeader(tmp.File("scan.nii")).SFormCode, header.SFormCode);
    }

    [Fact]
    public void Tensors_of_the_wrong_rank_are_refused()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => PredictionWriter.LabelVolume(torch.zeros(2, 3, 4, 5), ScanAffine));
        Assert.Throws<ArgumentException>(() => PredictionWriter.ProbabilityVolume(torch.zeros(3, 4, 5), ScanAffine));
        var writer = new PredictionWriter(ScanShape, ScanAffine);
        Assert.Throws<ArgumentException>(() => writer.Labels(new Volume(new float[2 * 8], 2, [2, 2, 2], ScanAffine)));
    }
}
