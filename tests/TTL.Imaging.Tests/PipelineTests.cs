using TTL.Imaging.Intensity;
using TTL.Imaging.Pipelines;
using TTL.Imaging.Pipelines.Transforms;
using TTL.Imaging.Resampling;
using TTL.TestSupport;

namespace TTL.Imaging.Tests;

public class PipelineTests
{
    private static Pipeline Everything() => new([
        new ReorientTransform("RAS"),
        new SpacingTransform([1.5, 0.1, 2.0 / 3], Interpolation.BSpline, BoundaryMode.Constant, -1024),
        new ResizeTransform([20, 21, 22], Interpolation.Nearest),
        new ClipTransform(-1000, 3000),
        new WindowTransform(CtWindow.Preset("lung"), "lung"),
        new WindowTransform(new CtWindow(35, 350)),
        new ScaleRangeTransform(-57, 164, 0, 1, true),
        new ZScoreTransform(nonzero: true, channelWise: true),
        new PercentileClipTransform(0.5, 99.5),
        new CtNormalizeTransform(new CtNormalization(-958.1, 1327.3, 98.76543210987654, 321.1)),
        new CropForegroundTransform(0.25, [2, 3, 4]),
        new CenterCropPadTransform([64, 64, 32], -3),
        new PadToMultipleTransform([16, 16, 8]),
        new RandomPatchTransform([32, 32, 16], 0.33),
        new RandomFlipTransform([0, 2], 0.3),
        new RandomRot90Transform([0, 1], 0.25, 2),
        new RandomAffineTransform(0.2, [15, 0, 7.5], [0.1, 0.1, 0.1], [3, 3, 0]),
        new GaussianNoiseTransform(0.15, 0, 0.1),
        new GammaTransform(0.3, [0.7, 1.5]),
        new ScaleShiftTransform(0.3, [0.9, 1.1], [-0.1, 0.1]),
    ]);

    [Fact]
    public void YamlRoundTripKeepsEveryTransformAndSetting()
    {
        var p = Everything();
        string yaml = p.ToYaml();
        var back = Pipeline.FromYaml(yaml);
        Assert.Equal(yaml, back.ToYaml());
        Assert.Equal(p.Steps.Select(s => s.Name), back.Steps.Select(s => s.Name));
        Assert.Equal(p.DeterministicHash(), back.DeterministicHash());
        Assert.Equal(TransformRegistry.Readers.Count, p.Steps.Select(s => s.Name).Distinct().Count());
        Assert.Equal(13, p.DeterministicCount);
        Assert.Contains("pixdim: [1.5, 0.1, 0.6666666666666666]", yaml);
        Assert.Equal(98.76543210987654, ((CtNormalizeTransform)back.Steps[9]).Stats!.Mean);
    }

    [Fact]
    public void HandWrittenYamlWithDefaultsParsesAndMistakesAreNamed()
    {
        var p = Pipeline.FromYaml("transforms:\n- name: spacing\n  pixdim: 2\n- name: zscore\n- name: random_flip\n");
        Assert.Equal([2.0, 2.0, 2.0], ((SpacingTransform)p.Steps[0]).Pixdim);
        Assert.Equal(2, p.DeterministicCount);
        var e = Assert.Throws<FormatException>(() => Pipeline.FromYaml("transforms:\n- name: spacing\n  pixdim: [1, 1, 1]\n  interpolation: linear\n"));
        Assert.Contains("'interpolation'", e.Message);
        Assert.Contains("unknown transform 'spacingg'", Assert.Throws<FormatException>(() => Pipeline.FromYaml("transforms:\n- name: spacingg\n")).Message);
        Assert.Contains("'pixdim' must be", Assert.Throws<FormatException>(() => Pipeline.FromYaml("transforms:\n- name: spacing\n  pixdim: [1, x, 1]\n")).Message);
    }

    private static Volume Image(float bias)
    {
        var rng = new Random(9);
        var d = new float[12 * 10 * 8];
        for (int n = 0; n < d.Length; n++) d[n] = (float)rng.NextDouble() + bias;
        return new Volume(d, 1, [12, 10, 8], new double[,] { { 1, 0, 0, 0 }, { 0, 1.5, 0, 0 }, { 0, 0, 2, 0 }, { 0, 0, 0, 1 } });
    }

    [Fact]
    public void CacheHitsOnSecondRunAndMissesWhenPipelineOrFileChanges()
    {
        using var dir = new TempDir();
        string file = dir.File("case.bin");
        File.WriteAllBytes(file, [1, 2, 3]);
        var cache = new PipelineCache(dir.File("cache"));
        var pipeline = new Pipeline([new SpacingTransform([1.2, 1.2, 1.2]), new ZScoreTransform(), new RandomFlipTransform([0], 0.5)]);
        int loads = 0;
        Sample Load() { loads++; return new Sample(Image(0), null, "case"); }

        var (first, hit1) = cache.GetOrCompute(pipeline, [file], "case", Load);
        var (second, hit2) = cache.GetOrCompute(pipeline, [file], "case", Load);
        Assert.False(hit1);
        Assert.True(hit2);
        Assert.Equal(1, loads);
        Assert.Equal(first.Image.Data, second.Image.Data);
        Assert.Equal(first.Image.Shape, second.Image.Shape);
        Assert.Equal(first.Image.Affine, second.Image.Affine);

        // Random steps are not part of the key.
        var otherRandom = new Pipeline([new SpacingTransform([1.2, 1.2, 1.2]), new ZScoreTransform(), new GammaTransform(1, [1, 2])]);
        Assert.True(cache.GetOrCompute(otherRandom, [file], "case", Load).Hit);

        var changed = new Pipeline([new SpacingTransform([1.3, 1.2, 1.2]), new ZScoreTransform()]);
        Assert.False(cache.GetOrCompute(changed, [file], "case", Load).Hit);
        Assert.Equal(2, loads);

        File.WriteAllBytes(file, [1, 2, 4]);
        Assert.False(cache.GetOrCompute(pipeline, [file], "case", Load).Hit);
        Assert.Equal(3, loads);
        Assert.Equal(2, cache.Hits);
        Assert.Equal(3, cache.Misses);
    }

    [Fact]
    public void DeterministicPartMatchesTheFunctionsItNames()
    {
        var p = new Pipeline([new SpacingTransform([0.9, 1.1, 1.7]), new ZScoreTransform()]);
        var viaPipeline = p.ApplyDeterministic(new Sample(Image(3), null, "x")).Image;
        var direct = Resample.ToSpacing(Image(3), [0.9, 1.1, 1.7]);
        IntensityOps.ZScore(direct);
        Assert.Equal(direct.Data, viaPipeline.Data);
    }
}
