using System.Text.Json;
using TTL.Imaging.Intensity;

namespace TTL.Imaging.Tests;

/// <summary>
/// Intensity transforms against the same formulas in NumPy (float64), all in one Python run.
/// Percentiles follow NumPy's default linear definition (type 7). Tolerance: 2e-6 relative to the
/// value's magnitude (float32 results against float64), exact for clipping.
/// </summary>
public class IntensityTests
{
    private static readonly double[] Qs = [0, 0.5, 12.3, 50, 99.5, 100];

    /// <summary>CT-like values in HU with a block of exact zeros, two channels, 11×7×9.</summary>
    private static Volume Image(int seed, int channels = 2)
    {
        var rng = new Random(seed);
        int[] shape = [11, 7, 9];
        var data = new float[channels * 11 * 7 * 9];
        for (int n = 0; n < data.Length; n++)
            data[n] = n % 7 == 0 ? 0 : (float)(rng.NextDouble() * 2400 - 1100 + (n / (data.Length / channels)) * 300);
        var a = new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 2, 0 }, { 0, 0, 0, 1 } };
        return new Volume(data, channels, shape, a);
    }

    private static Volume Label(Volume img, int seed)
    {
        var rng = new Random(seed);
        var lab = new float[img.VoxelCount];
        for (int n = 0; n < lab.Length; n++) lab[n] = rng.NextDouble() < 0.3 ? rng.Next(1, 3) : 0;
        return new Volume(lab, 1, img.Shape, img.Affine);
    }

    private static Volume Copy(Volume v) => new((float[])v.Data.Clone(), v.Channels, v.Shape, v.Affine);

    private static void Near(double[] want, ReadOnlySpan<float> got, string what, double rel = 2e-6)
    {
        Assert.Equal(want.Length, got.Length);
        for (int n = 0; n < want.Length; n++)
            Assert.True(Math.Abs(want[n] - got[n]) <= rel * Math.Max(1, Math.Abs(want[n])), $"{what}[{n}]: ours {got[n]} numpy {want[n]}");
    }

    [Fact]
    public void IntensityTransformsEqualNumpy()
    {
        var x = Image(11);
        var cases = Enumerable.Range(0, 3).Select(i => Image(20 + i, channels: 1)).ToArray();
        var labels = cases.Select((c, i) => Label(c, 30 + i)).ToArray();
        var window = CtWindow.Preset("lung");
        var p = new
        {
            clip = new[] { -500.0, 800.0 },
            scale = new[] { -1000.0, 1000.0, 0.0, 1.0 },
            window = new[] { window.Lower, window.Upper },
            qs = Qs,
            clip_q = new[] { 1.0, 99.0 },
        };
        var arrays = new OracleArrays().Add("x", x.Data, [x.Channels, .. x.Shape]);
        for (int i = 0; i < 3; i++) arrays.Add($"case{i}", cases[i].Data, cases[i].Shape).Add($"label{i}", labels[i].Data, labels[i].Shape);
        var want = arrays.Meta("params", JsonSerializer.Serialize(p)).Run("intensity.py");

        var v = Copy(x); IntensityOps.Clip(v.Data, -500, 800); Near(want["clip"], v.Data, "clip", 0);
        v = Copy(x); IntensityOps.ScaleRange(v.Data, -1000, 1000, 0, 1, clip: false); Near(want["scale_noclip"], v.Data, "scale");
        v = Copy(x); IntensityOps.ScaleRange(v.Data, -1000, 1000, 0, 1, clip: true); Near(want["scale_clip"], v.Data, "scale clip");
        v = Copy(x); IntensityOps.Window(v.Data, window); Near(want["window"], v.Data, "window lung");
        v = Copy(x); IntensityOps.ZScore(v); Near(want["z_whole"], v.Data, "zscore");
        v = Copy(x); IntensityOps.ZScore(v, nonzero: true); Near(want["z_nonzero"], v.Data, "zscore nonzero");
        v = Copy(x); IntensityOps.ZScore(v, channelWise: true); Near(want["z_channel"], v.Data, "zscore per channel");
        v = Copy(x); IntensityOps.ZScore(v, nonzero: true, channelWise: true); Near(want["z_channel_nonzero"], v.Data, "zscore nonzero per channel");
        var ps = Percentile.Of(x.Data, Qs);
        for (int i = 0; i < Qs.Length; i++) Assert.Equal(want["percentiles"][i], ps[i], 9);
        v = Copy(x); IntensityOps.PercentileClip(v.Data, 1, 99); Near(want["percentile_clip"], v.Data, "percentile clip");

        var stats = new DatasetIntensityStatistics();
        for (int i = 0; i < 3; i++) stats.Add(cases[i], labels[i]);
        var ct = stats.Compute();
        double[] got = [ct.Lower, ct.Upper, ct.Mean, ct.Std];
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(want["ct_stats"][i] - got[i]) <= 1e-9 * Math.Max(1, Math.Abs(got[i])), $"ct stat {i}: {got[i]} vs {want["ct_stats"][i]}");
        v = Copy(cases[0]); ct.Apply(v.Data); Near(want["ct_case0"], v.Data, "nnU-Net CT normalisation");
    }

    [Fact]
    public void PercentileHandlesTiesConstantsAndSortedInput()
    {
        var sorted = Enumerable.Range(0, 1001).Select(i => (float)i).ToArray();
        Assert.Equal(250.0, Percentile.Of(sorted, 25), 12);
        Assert.Equal(0.5 * 1000 * 0.333 + 0.5 * 1000 * 0.333, Percentile.Of(sorted, 33.3), 9);
        Assert.Equal(3.0, Percentile.Of(Enumerable.Repeat(3f, 500).ToArray(), 70), 12);
        Assert.True(double.IsNaN(Percentile.Of(new[] { 1f, float.NaN, 2f }, 50)));
    }

    [Fact]
    public void ZScoreOfConstantImageIsZeroNotNaN()
    {
        var v = new Volume(Enumerable.Repeat(5f, 24).ToArray(), 1, [2, 3, 4], new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } });
        IntensityOps.ZScore(v);
        Assert.All(v.Data, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void WindowPresetsAreLevelAndWidth()
    {
        var bone = CtWindow.Preset("bone");
        Assert.Equal(-500, bone.Lower);
        Assert.Equal(1300, bone.Upper);
        Assert.Throws<ArgumentException>(() => CtWindow.Preset("kidney-ish"));
    }
}
