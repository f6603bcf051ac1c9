using init = TTL.Torch.torch.nn.init;

namespace TTL.Torch.Tests;

/// <summary>
/// torch.nn.init bounds and spreads, and the layers' default initialisation. Spreads are checked
/// against the formula with a sampling tolerance (≥ 20 000 draws: the sample std is within 3 %).
/// Exact equality with PyTorch's draws after the same seed is in ModuleOracleTests.
/// </summary>
public class InitTests
{
    private static (double maxAbs, double std, double mean) Stats(Tensor t)
    {
        var v = t.to(DType.Float64).data<double>();
        double mean = v.Average();
        return (v.Max(Math.Abs), Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average()), mean);
    }

    [Fact]
    public void GainsAreTorchs()
    {
        Assert.Equal(1.0, init.calculate_gain("conv3d"));
        Assert.Equal(Math.Sqrt(2), init.calculate_gain("relu"), 12);
        Assert.Equal(5.0 / 3, init.calculate_gain("tanh"), 12);
        Assert.Equal(Math.Sqrt(2 / 1.0001), init.calculate_gain("leaky_relu"), 12);
        Assert.Equal(Math.Sqrt(2 / 6.0), init.calculate_gain("leaky_relu", Math.Sqrt(5)), 12);
        Assert.Throws<ArgumentException>(() => init.calculate_gain("swish"));
    }

    [Fact]
    public void FansCountTheReceptiveField()
    {
        using var w = torch.empty([16, 4, 3, 3, 3]);
        Assert.Equal((4 * 27L, 16 * 27L), init.calculate_fan_in_and_fan_out(w));
        using var v = torch.empty([5]);
        Assert.Throws<ArgumentException>(() => init.calculate_fan_in_and_fan_out(v));
    }

    [Theory]
    [InlineData("fan_in")]
    [InlineData("fan_out")]
    public void KaimingMatchesHesFormula(string mode)
    {
        using var w = torch.empty([64, 32, 3, 3, 3]);
        long fan = mode == "fan_in" ? 32 * 27 : 64 * 27;
        double std = Math.Sqrt(2.0 / fan);
        init.kaiming_normal_(w, mode: mode, nonlinearity: "relu");
        var (_, s, m) = Stats(w);
        Assert.InRange(s / std, 0.97, 1.03);
        Assert.InRange(Math.Abs(m), 0, 0.02 * std);
        init.kaiming_uniform_(w, mode: mode, nonlinearity: "relu");
        var (maxAbs, su, _) = Stats(w);
        double bound = Math.Sqrt(3) * std;
        Assert.InRange(maxAbs, 0.99 * bound, bound);
        Assert.InRange(su / std, 0.97, 1.03);
    }

    [Fact]
    public void XavierMatchesGlorotsFormula()
    {
        using var w = torch.empty([64, 32, 3, 3, 3]);
        double std = 0.5 * Math.Sqrt(2.0 / (32 * 27 + 64 * 27));
        init.xavier_normal_(w, gain: 0.5);
        Assert.InRange(Stats(w).std / std, 0.97, 1.03);
        init.xavier_uniform_(w, gain: 0.5);
        var (maxAbs, s, _) = Stats(w);
        // The bound a = √3·std is computed in double and the samples are float32: allow its rounding.
        Assert.InRange(maxAbs, 0.99 * Math.Sqrt(3) * std, Math.Sqrt(3) * std * (1 + 1e-6));
        Assert.InRange(s / std, 0.97, 1.03);
    }

    [Fact]
    public void SimpleFillersFill()
    {
        using var w = torch.empty([1000]).requires_grad_();
        init.constant_(w, 0.3);
        Assert.True(w.eq(0.3f).all().item<bool>());
        Assert.True(w.is_leaf); // filled without recording a graph
        init.zeros_(w);
        Assert.Equal(0.0, Stats(w).maxAbs);
        init.ones_(w);
        Assert.True(w.eq(1).all().item<bool>());
        init.uniform_(w, -2, -1);
        Assert.True(w.ge(-2).all().item<bool>() && w.lt(-1).all().item<bool>());
        init.normal_(w, 5, 0.1);
        Assert.InRange(Stats(w).mean, 4.97, 5.03);
    }

    [Fact]
    public void ConvolutionAndLinearDefaultsStayWithinOneOverRootFanIn()
    {
        // kaiming_uniform(a = √5): bound = √(6 / ((1 + 5) fan_in)) = 1 / √fan_in; the bias uses the same bound.
        using var conv = torch.nn.Conv3d(32, 64, 3);
        using var convT = torch.nn.ConvTranspose3d(64, 32, 3); // weight [64, 32, 3, 3, 3]: fan_in = 32 · 27
        using var linear = torch.nn.Linear(800, 40);
        foreach (var (w, b, fanIn) in new[] { (conv.weight, conv.bias!, 32 * 27), (convT.weight, convT.bias!, 32 * 27), (linear.weight, linear.bias!, 800) })
        {
            double bound = 1 / Math.Sqrt(fanIn);
            var (maxAbs, std, _) = Stats(w);
            Assert.InRange(maxAbs, 0.99 * bound, bound);
            Assert.InRange(std / (bound / Math.Sqrt(3)), 0.97, 1.03);
            Assert.InRange(Stats(b).maxAbs, 0.5 * bound, bound);
        }
    }

    [Fact]
    public void NormalisationDefaultsAreOnesAndZeros()
    {
        using var bn = torch.nn.BatchNorm3d(6);
        using var gn = torch.nn.GroupNorm(2, 6);
        using var inorm = torch.nn.InstanceNorm3d(6, affine: true);
        using var ln = torch.nn.LayerNorm(6);
        foreach (var (w, b) in new[] { (bn.weight!, bn.bias!), (gn.weight!, gn.bias!), (inorm.weight!, inorm.bias!), (ln.weight!, ln.bias!) })
        {
            Assert.True(w.eq(1).all().item<bool>());
            Assert.True(b.eq(0).all().item<bool>());
        }
        Assert.True(bn.running_var!.eq(1).all().item<bool>());
        Assert.Equal(0L, bn.num_batches_tracked!.item<long>());
        using var prelu = torch.nn.PReLU();
        Assert.Equal(0.25f, prelu.weight.item<float>());
    }
}
