using TTL.Imaging.Augmentation;
using TTL.Imaging.Compute;
using TTL.Imaging.Pipelines;
using TTL.Imaging.Pipelines.Transforms;

namespace TTL.Imaging.Tests;

public class AugmentTests
{
    private static readonly double[,] Aniso = { { 0.8, 0, 0, 0 }, { 0, 1.2, 0, 0 }, { 0, 0, 2.0, 0 }, { 0, 0, 0, 1 } };

    /// <summary>A smooth blob image (values in [0, 1]) on a non-cubic grid and its thresholded label (1 and 2).</summary>
    private static Sample Blob(string id = "case")
    {
        int[] shape = [24, 20, 14];
        var img = new float[24 * 20 * 14];
        for (int i = 0; i < 24; i++)
            for (int j = 0; j < 20; j++)
                for (int k = 0; k < 14; k++)
                {
                    double x = (i - 11.3) * 0.8, y = (j - 9.1) * 1.2, z = (k - 6.4) * 2.0;
                    img[(i * 20 + j) * 14 + k] = (float)Math.Exp(-(x * x + y * y * 0.6 + z * z * 0.8) / 60);
                }
        var image = new Volume(img, 1, shape, Aniso);
        return new Sample(image, Threshold(image), id);
    }

    private static Volume Threshold(Volume v) =>
        new(v.Data.Select(x => x > 0.7f ? 2f : x > 0.35f ? 1f : 0f).ToArray(), 1, v.Shape, v.Affine);

    private static Pipeline Augmentations() => new([
        new RandomFlipTransform([0, 1, 2], 0.5),
        new RandomRot90Transform([0, 1], 0.8),
        new RandomAffineTransform(1.0, [15, 10, 10], [0.1, 0.1, 0.1], [2, 2, 1]),
        new GaussianNoiseTransform(1.0, 0, 0.05),
        new GammaTransform(1.0, [0.7, 1.5]),
        new ScaleShiftTransform(1.0, [0.9, 1.1], [-0.1, 0.1]),
    ]);

    [Fact]
    public void SameSeedAndSampleGiveTheSameOutputAndOtherSeedsDiffer()
    {
        var a = Augmentations().ApplyRandom(Blob(), seed: 42);
        var b = Augmentations().ApplyRandom(Blob(), seed: 42);
        var c = Augmentations().ApplyRandom(Blob(), seed: 43);
        Assert.Equal(a.Image.Data, b.Image.Data);
        Assert.Equal(a.Label!.Data, b.Label!.Data);
        Assert.NotEqual(a.Image.Data, c.Image.Data);
    }

    [Fact]
    public void NoiseDoesNotDependOnThreadCount()
    {
        var x1 = new float[300_000];
        var x2 = new float[300_000];
        int saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            IntensityAugment.GaussianNoise(x1, 0, 1, 7);
            Parallelism.MaxThreads = 4;
            IntensityAugment.GaussianNoise(x2, 0, 1, 7);
        }
        finally { Parallelism.MaxThreads = saved; }
        Assert.Equal(x1, x2);
        double mean = x1.Average(v => (double)v), std = Math.Sqrt(x1.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.99, 1.01);
    }

    [Fact]
    public void FlipsAndRot90KeepImageAndLabelExactlyAlignedAndTheWorldGeometry()
    {
        var flips = new Pipeline([new RandomFlipTransform([0, 1, 2], 0.5), new RandomRot90Transform([0, 2], 1.0), new RandomRot90Transform([1, 2], 1.0)]);
        for (int seed = 0; seed < 12; seed++)
        {
            var src = Blob();
            var s = flips.ApplyRandom(Blob(), seed);
            Assert.Equal(Threshold(s.Image).Data, s.Label!.Data);
            // Voxels moved, and the affine moved with them: every voxel keeps its world position,
            // so the sum of world coordinates weighted by intensity (centre of mass) is unchanged.
            var c0 = CentreOfMass(src.Image);
            var c1 = CentreOfMass(s.Image);
            for (int a = 0; a < 3; a++) Assert.Equal(c0[a], c1[a], 6);
        }
    }

    private static double[] CentreOfMass(Volume v)
    {
        double[] acc = new double[3];
        double w = 0;
        for (int i = 0; i < v.I; i++)
            for (int j = 0; j < v.J; j++)
                for (int k = 0; k < v.K; k++)
                {
                    double x = v[0, i, j, k];
                    for (int a = 0; a < 3; a++) acc[a] += x * (v.Affine[a, 0] * i + v.Affine[a, 1] * j + v.Affine[a, 2] * k + v.Affine[a, 3]);
                    w += x;
                }
        return acc.Select(x => x / w).ToArray();
    }

    [Fact]
    public void Rot90MatchesNumpyIndexing()
    {
        var (map, shape) = SpatialAugment.Rot90Map([4, 3, 2], 1, 0, 1);
        Assert.Equal([3, 4, 2], shape);
        var v = new Volume(Enumerable.Range(0, 24).Select(x => (float)x).ToArray(), 1, [4, 3, 2], Aniso);
        var r = SpatialAugment.Permute(v, map, shape);
        // numpy.rot90(x, 1, axes=(0, 1))[a, b, c] == x[b, n1 − 1 − a, c]
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 4; b++)
                for (int c = 0; c < 2; c++)
                    Assert.Equal(v[0, b, 2 - a, c], r[0, a, b, c]);
    }

    [Fact]
    public void RandomAffineKeepsLabelsIntegerAndNearlyAlignedWithTheWarpedImage()
    {
        var affine = new Pipeline([new RandomAffineTransform(1.0, [20, 15, 15], [0.15, 0.15, 0.15], [2, 2, 1])]);
        for (int seed = 0; seed < 5; seed++)
        {
            var s = affine.ApplyRandom(Blob(), seed);
            Assert.All(s.Label!.Data, x => Assert.True(x is 0f or 1f or 2f, $"label value {x}"));
            var fromImage = Threshold(s.Image);
            int same = 0;
            for (int i = 0; i < fromImage.I; i++)
                for (int j = 0; j < fromImage.J; j++)
                    for (int k = 0; k < fromImage.K; k++)
                    {
                        float want = fromImage[0, i, j, k];
                        if (want == s.Label[0, i, j, k]) { same++; continue; }
                        // Linear and nearest may disagree only next to a class boundary: the class
                        // the warped image says must occur among the label's 3×3×3 neighbours.
                        Assert.True(NeighbourHas(s.Label, i, j, k, want), $"seed {seed}: voxel ({i},{j},{k}) label {s.Label[0, i, j, k]} far from class {want}");
                    }
            Assert.True(same >= 0.95 * fromImage.VoxelCount, $"seed {seed}: {same}/{fromImage.VoxelCount} voxels agree");
            Assert.Contains(2f, s.Label.Data);
        }
    }

    private static bool NeighbourHas(Volume v, int i, int j, int k, float value)
    {
        for (int a = Math.Max(0, i - 1); a <= Math.Min(v.I - 1, i + 1); a++)
            for (int b = Math.Max(0, j - 1); b <= Math.Min(v.J - 1, j + 1); b++)
                for (int c = Math.Max(0, k - 1); c <= Math.Min(v.K - 1, k + 1); c++)
                    if (v[0, a, b, c] == value) return true;
        return false;
    }

    [Fact]
    public void IntensityAugmentationsLeaveTheLabelAlone()
    {
        var p = new Pipeline([new GaussianNoiseTransform(1, 0, 0.2), new GammaTransform(1, [0.5, 2]), new ScaleShiftTransform(1, [0.5, 2], [-1, 1])]);
        var s = p.ApplyRandom(Blob(), 3);
        Assert.Equal(Blob().Label!.Data, s.Label!.Data);
        Assert.NotEqual(Blob().Image.Data, s.Image.Data);
    }
}
