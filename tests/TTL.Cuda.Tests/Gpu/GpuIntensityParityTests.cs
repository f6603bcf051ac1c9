using TTL.Cuda.Random;
using TTL.Imaging;
using TTL.Imaging.Cuda;
using TTL.Imaging.Intensity;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>Intensity transforms within 1e-5 relative of the CPU, statistics within 1e-6, percentiles exact.</summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuIntensityParityTests
{
    private static readonly int[] Shape = [31, 29, 37];

    private static (Volume Cpu, GpuVolume Gpu) Pair(int channels, int seed)
    {
        var v = Gpus.RandomVolume(channels, Shape, seed);
        return (v, Gpus.Upload(v));
    }

    [GpuFact]
    public void Statistics_match_moments_over_all_and_nonzero_voxels_per_volume_and_channel()
    {
        var (v, g) = Pair(3, 11);
        using var _ = g;
        foreach (var nonzero in new[] { false, true })
        {
            var whole = GpuIntensity.Statistics(g, nonzero)[0];
            var cpu = nonzero ? Moments.OfNonzero(v.Data, 0, v.Data.Length) : Moments.Of(v.Data, 0, v.Data.Length);
            Assert.Equal(cpu.Count, whole.Count);
            Gpus.Close([cpu.Mean, cpu.Std], [whole.Mean, whole.Std], 1e-6, $"moments nonzero={nonzero}");
            var perChannel = GpuIntensity.Statistics(g, nonzero, channelWise: true);
            for (int c = 0; c < 3; c++)
            {
                int n = (int)v.VoxelCount;
                var cc = nonzero ? Moments.OfNonzero(v.Data, c * n, n) : Moments.Of(v.Data, c * n, n);
                Gpus.Close([cc.Mean, cc.Std], [perChannel[c].Mean, perChannel[c].Std], 1e-6, $"channel {c} nonzero={nonzero}");
            }
        }
    }

    [GpuFact]
    public void A_large_offset_does_not_cancel_the_variance()
    {
        // Mean 1e6 against a std of about 1: the sum-of-squares formula would lose every digit in float64.
        var data = Enumerable.Range(0, 1 << 20).Select(i => 1e6f + (i % 7) - 3).ToArray();
        var v = new Volume(data, 1, [64, 128, 128], new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } });
        using var g = Gpus.Upload(v);
        var cpu = Moments.Of(data, 0, data.Length);
        var gpu = GpuIntensity.Statistics(g)[0];
        Gpus.Close([cpu.Mean, cpu.Std], [gpu.Mean, gpu.Std], 1e-6, "offset moments");
    }

    [GpuFact]
    public void Zscore_matches_the_cpu_in_every_mode()
    {
        foreach (var (nonzero, channelWise) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var (v, g) = Pair(2, 12);
            using var _ = g;
            IntensityOps.ZScore(v, nonzero, channelWise);
            GpuIntensity.ZScore(g, nonzero, channelWise);
            Gpus.Close(v.Data, g.Download().Data, 1e-5, $"zscore nonzero={nonzero} channelWise={channelWise}");
        }
    }

    [GpuFact]
    public void Scaling_windowing_clipping_and_ct_normalisation_match_the_cpu()
    {
        var (v, g) = Pair(1, 13);
        using var _ = g;
        IntensityOps.ScaleRange(v.Data, -1000, 1000, -1, 1, clip: true);
        GpuIntensity.ScaleRange(g, -1000, 1000, -1, 1, clip: true);
        Gpus.Close(v.Data, g.Download().Data, 1e-5, "scale range");
        IntensityOps.Window(v.Data, CtWindow.Preset("lung"));
        GpuIntensity.Window(g, CtWindow.Preset("lung"));
        IntensityOps.Clip(v.Data, 0.1f, 0.7f);
        GpuIntensity.Clip(g, 0.1f, 0.7f);
        var norm = new CtNormalization(0.15, 0.65, 0.4, 0.12);
        norm.Apply(v.Data);
        GpuIntensity.CtNormalize(g, norm);
        Gpus.Close(v.Data, g.Download().Data, 1e-5, "window, clip, CT normalisation");
    }

    [GpuFact]
    public void Percentiles_equal_the_cpu_exactly_and_nan_makes_them_nan()
    {
        var (v, g) = Pair(2, 14);
        using var _ = g;
        double[] qs = [0, 0.5, 2, 50, 97.5, 99.5, 100, 33.3];
        Assert.Equal(Percentile.Of(v.Data, qs), GpuIntensity.Percentiles(g, qs));
        IntensityOps.PercentileClip(v.Data, 1, 99);
        GpuIntensity.PercentileClip(g, 1, 99);
        Assert.Equal(v.Data, g.Download().Data);

        var withNan = Gpus.RandomVolume(1, Shape, 15);
        withNan.Data[1234] = float.NaN;
        using var gn = Gpus.Upload(withNan);
        Assert.All(GpuIntensity.Percentiles(gn, [5, 95]), p => Assert.True(double.IsNaN(p)));
    }

    [GpuFact]
    public void Gaussian_noise_equals_the_cpu_philox_reference()
    {
        var (v, g) = Pair(1, 16);
        using var _ = g;
        var expected = (float[])v.Data.Clone();
        Philox4x32.AddNoise(expected, seed: 0xfeedfaceUL, stream: 9, mean: 1.5f, std: 30f);
        GpuIntensity.GaussianNoise(g, 1.5f, 30f, seed: 0xfeedfaceUL, stream: 9);
        // Device logf/sincospif may differ from the host's by an ulp or two: 1e-5 of the noise scale.
        var got = g.Download().Data;
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-5 * (Math.Abs(expected[i]) + 30), $"voxel {i}: {expected[i]} vs {got[i]}");
    }
}
