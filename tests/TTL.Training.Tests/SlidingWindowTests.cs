using TTL.Torch;
using TTL.Training.Inference;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Training.Tests;

/// <summary>
/// Sliding-window inference. A pointwise model (a fixed 1×1×1 convolution) gives the same logits
/// whatever window a voxel is seen in, so blending any windows with any positive weights must
/// reproduce the model applied to the whole volume; tolerance 1e-5 (float32 weighted averages).
/// </summary>
public sealed class SlidingWindowTests : IDisposable
{
    private readonly Tensor _weight, _bias;

    public SlidingWindowTests()
    {
        // 2 input channels -> 3 classes.
        _weight = torch.tensor(new float[] { 0.7f, -1.2f, 0.3f, 0.9f, -0.5f, 0.25f }, 3, 2, 1, 1, 1);
        _bias = torch.tensor(new float[] { 0.1f, -0.4f, 0.05f }, 3);
    }

    public void Dispose()
    {
        _weight.Dispose();
        _bias.Dispose();
    }

    private Tensor Pointwise(Tensor x) => F.conv3d(x, _weight, _bias);

    private static Tensor RandomVolume(params long[] shape)
    {
        torch.manual_seed(11);
        return torch.randn([2, .. shape]);
    }

    private double MaxDifferenceFromWholeVolume(Tensor volume, SlidingWindowOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var expected = Pointwise(volume.unsqueeze(0)).squeeze(0);
        var actual = SlidingWindow.Predict(volume, Pointwise, options);
        Assert.Equal(expected.shape, actual.shape);
        return (actual - expected).abs().max().item<float>();
    }

    public static TheoryData<long[], WindowWeighting, bool, int> Cases() => new()
    {
        // Not a multiple of the window on any axis.
        { new long[] { 23, 17, 13 }, WindowWeighting.Gaussian, false, 1 },
        { new long[] { 23, 17, 13 }, WindowWeighting.Constant, false, 3 },
        { new long[] { 23, 17, 13 }, WindowWeighting.Gaussian, true, 4 },
        { new long[] { 23, 17, 13 }, WindowWeighting.Constant, true, 2 },
        // Smaller than the window on every axis, and on some axes only.
        { new long[] { 5, 7, 3 }, WindowWeighting.Gaussian, false, 1 },
        { new long[] { 5, 7, 3 }, WindowWeighting.Constant, true, 1 },
        { new long[] { 5, 19, 4 }, WindowWeighting.Gaussian, true, 2 },
        { new long[] { 5, 19, 4 }, WindowWeighting.Constant, false, 5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pointwise_model_gives_the_whole_volume_prediction(long[] shape, WindowWeighting weighting, bool tta, int batch)
    {
        using var volume = RandomVolume(shape);
        var options = new SlidingWindowOptions { PatchSize = [8, 8, 6], Overlap = 0.5, Weighting = weighting, FlipTta = tta, BatchSize = batch };
        Assert.True(MaxDifferenceFromWholeVolume(volume, options) < 1e-5);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.8)]
    public void Any_overlap_gives_the_whole_volume_prediction(double overlap)
    {
        using var volume = RandomVolume(21, 9, 14);
        var options = new SlidingWindowOptions { PatchSize = [6, 9, 5], Overlap = overlap, BatchSize = 2 };
        Assert.True(MaxDifferenceFromWholeVolume(volume, options) < 1e-5);
    }

    [Fact]
    public void Axis_starts_follow_monai_placement()
    {
        // interval = floor(8 · 0.5) = 4; the window at 16 would end past 23, so the last one starts at 15.
        Assert.Equal([0L, 4, 8, 12, 15], SlidingWindow.AxisStarts(23, 8, 0.5));
        Assert.Equal([0L], SlidingWindow.AxisStarts(8, 8, 0.5));
        Assert.Equal([0L, 8, 12], SlidingWindow.AxisStarts(20, 8, 0.0));
        // floor(5 · 0.75) = 3.
        Assert.Equal([0L, 3, 5], SlidingWindow.AxisStarts(10, 5, 0.25));
        // A tiny interval still advances by one voxel.
        Assert.Equal([0L, 1, 2], SlidingWindow.AxisStarts(4, 2, 0.9));
        Assert.Throws<ArgumentException>(() => SlidingWindow.AxisStarts(4, 5, 0.5));
    }

    [Theory]
    [InlineData(23, 17, 13, 0.5)]
    [InlineData(31, 8, 9, 0.0)]
    [InlineData(40, 12, 6, 0.9)]
    public void Window_positions_cover_every_voxel_and_stay_inside(int i, int j, int k, double overlap)
    {
        long[] size = [i, j, k];
        long[] patch = [8, 8, 6];
        var covered = new int[i, j, k];
        var starts = SlidingWindow.WindowStarts(size, patch, overlap);
        Assert.Equal(starts.Count, starts.Select(s => (s[0], s[1], s[2])).Distinct().Count());
        foreach (var s in starts)
        {
            for (int d = 0; d < 3; d++) Assert.InRange(s[d], 0, size[d] - patch[d]);
            for (long a = s[0]; a < s[0] + patch[0]; a++)
                for (long b = s[1]; b < s[1] + patch[1]; b++)
                    for (long c = s[2]; c < s[2] + patch[2]; c++)
                        covered[a, b, c]++;
        }
        foreach (int n in covered) Assert.True(n > 0);
        // The last window along each axis ends flush with the volume.
        for (int d = 0; d < 3; d++) Assert.Equal(size[d] - patch[d], starts.Max(s => s[d]));
    }

    [Fact]
    public void Gaussian_map_peaks_at_the_centre_with_nnunet_sigma_and_a_floor()
    {
        using var map = SlidingWindow.ImportanceMap([16, 8, 4], WindowWeighting.Gaussian);
        Assert.Equal([16L, 8, 4], map.shape);
        var w = map.data<float>();
        float At(int a, int b, int c) => w[(a * 8 + b) * 4 + c];
        Assert.Equal(1f, At(8, 4, 2));
        Assert.Equal(1f, w.Max());
        // One voxel off centre along i: exp(-1 / (2 · 2²)) with sigma = 16 / 8.
        Assert.Equal(Math.Exp(-1.0 / 8), At(9, 4, 2), 5);
        Assert.Equal(At(7, 4, 2), At(9, 4, 2));
        Assert.True(w.Min() >= SlidingWindow.MinimumWeight);
        using var tiny = SlidingWindow.ImportanceMap([9, 9, 9], WindowWeighting.Gaussian, sigmaScale: 0.01);
        Assert.Equal(SlidingWindow.MinimumWeight, tiny.data<float>().Min());
        using var constant = SlidingWindow.ImportanceMap([3, 4, 5], WindowWeighting.Constant);
        Assert.All(constant.data<float>(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Constant_weighting_averages_the_windows_covering_a_voxel()
    {
        // The model answers each window with one value (the window's mean), so the result at a voxel
        // is the plain mean of the answers of the windows that cover it.
        long[] size = [13, 10, 7];
        long[] patch = [6, 6, 4];
        using var volume = torch.arange(0, 13 * 10 * 7, dtype: DType.Float32).reshape(1, 13, 10, 7);
        var values = volume.data<float>();
        Tensor WindowMean(Tensor x)
        {
            var m = x.mean([1, 2, 3, 4], keepdim: true);
            return m.expand(x.shape[0], 1, patch[0], patch[1], patch[2]).contiguous();
        }
        var options = new SlidingWindowOptions { PatchSize = [6, 6, 4], Overlap = 0.5, Weighting = WindowWeighting.Constant, BatchSize = 3 };
        using var result = SlidingWindow.Predict(volume, WindowMean, options);
        var got = result.data<float>();
        var sum = new double[13 * 10 * 7];
        var count = new int[13 * 10 * 7];
        foreach (var s in SlidingWindow.WindowStarts(size, patch, 0.5))
        {
            double mean = 0;
            for (long a = s[0]; a < s[0] + 6; a++)
                for (long b = s[1]; b < s[1] + 6; b++)
                    for (long c = s[2]; c < s[2] + 4; c++)
                        mean += values[(a * 10 + b) * 7 + c];
            mean /= 6 * 6 * 4;
            for (long a = s[0]; a < s[0] + 6; a++)
                for (long b = s[1]; b < s[1] + 6; b++)
                    for (long c = s[2]; c < s[2] + 4; c++)
                    {
                        sum[(a * 10 + b) * 7 + c] += mean;
                        count[(a * 10 + b) * 7 + c]++;
                    }
        }
        for (int v = 0; v < got.Length; v++) Assert.Equal(sum[v] / count[v], got[v], 3);
    }

    [Fact]
    public void Tta_runs_the_eight_flips_and_batches_windows()
    {
        using var volume = RandomVolume(12, 12, 6);
        int calls = 0;
        long largest = 0;
        Tensor Counting(Tensor x)
        {
            calls++;
            largest = Math.Max(largest, x.shape[0]);
            return Pointwise(x);
        }
        // Starts per axis: [0, 4] x [0, 4] x [0] = 4 windows, 2 batches of 3 and 1.
        using var result = SlidingWindow.Predict(volume, Counting, new SlidingWindowOptions { PatchSize = [8, 8, 6], BatchSize = 3, FlipTta = true });
        Assert.Equal(2 * 8, calls);
        Assert.Equal(3, largest);
    }

    [Fact]
    public void Flip_tta_averages_a_model_that_is_not_flip_invariant()
    {
        // A model that adds the voxel's i index within the window: with all flips averaged, the
        // ramp becomes its mirror mean (p - 1) / 2 everywhere.
        using var volume = torch.zeros(1, 8, 8, 6);
        Tensor Ramp(Tensor x)
        {
            var ramp = torch.arange(0, 8, dtype: DType.Float32).reshape(1, 1, 8, 1, 1);
            return x + ramp;
        }
        var options = new SlidingWindowOptions { PatchSize = [8, 8, 6], FlipTta = true };
        using var result = SlidingWindow.Predict(volume, Ramp, options);
        Assert.All(result.data<float>(), v => Assert.Equal(3.5f, v, 5));
    }

    [Fact]
    public void Temporaries_are_released_and_the_result_belongs_to_the_caller()
    {
        using var volume = RandomVolume(23, 17, 13);
        using var scope = torch.NewDisposeScope();
        int before = scope.Count;
        var result = SlidingWindow.Predict(volume, Pointwise, new SlidingWindowOptions { PatchSize = [8, 8, 6], FlipTta = true, BatchSize = 2 });
        Assert.Equal(before + 1, scope.Count);
        Assert.False(result.IsDisposed);
        Assert.False(result.requires_grad);
        Assert.Equal([3L, 23, 17, 13], result.shape);
    }

    [Fact]
    public void Gradients_are_off_inside_and_restored_after()
    {
        using var volume = RandomVolume(9, 9, 7);
        bool? gradInside = null;
        Tensor Probe(Tensor x)
        {
            gradInside = torch.is_grad_enabled();
            return Pointwise(x);
        }
        using var result = SlidingWindow.Predict(volume, Probe, new SlidingWindowOptions { PatchSize = [8, 8, 6] });
        Assert.False(gradInside);
        Assert.True(torch.is_grad_enabled());
    }

    [Fact]
    public void A_model_with_the_wrong_output_shape_is_named()
    {
        using var volume = RandomVolume(9, 9, 7);
        Tensor Shrinks(Tensor x) => x.narrow(2, 0, 4);
        var e = Assert.Throws<InvalidOperationException>(() => SlidingWindow.Predict(volume, Shrinks, new SlidingWindowOptions { PatchSize = [8, 8, 6] }));
        Assert.Contains("expected [N, classes, 8, 8, 6]", e.Message);
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        using var volume = RandomVolume(9, 9, 7);
        Assert.Throws<ArgumentException>(() => SlidingWindow.Predict(volume, Pointwise, new SlidingWindowOptions { PatchSize = [8, 8] }));
        Assert.Throws<ArgumentException>(() => SlidingWindow.Predict(volume, Pointwise, new SlidingWindowOptions { PatchSize = [8, 8, 6], Overlap = 1 }));
        Assert.Throws<ArgumentException>(() => SlidingWindow.Predict(volume, Pointwise, new SlidingWindowOptions { PatchSize = [8, 8, 6], BatchSize = 0 }));
        using var noChannel = torch.zeros(9, 9, 7);
        Assert.Throws<ArgumentException>(() => SlidingWindow.Predict(noChannel, Pointwise, new SlidingWindowOptions { PatchSize = [8, 8, 6] }));
    }
}
