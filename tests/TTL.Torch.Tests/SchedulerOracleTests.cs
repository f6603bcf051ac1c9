using System.Text.Json;
using TTL.Torch.Optim;
using TTL.TestSupport;

namespace TTL.Torch.Tests;

/// <summary>
/// Learning-rate sequences of every scheduler against torch.optim.lr_scheduler
/// (tests/oracles/torch_schedulers.py), two parameter groups, 30 epochs. PyTorch computes most
/// rates recursively and we in closed form, so they agree to rounding: |ours − theirs| ≤ 1e-9·|theirs| + 1e-12.
/// </summary>
public class SchedulerOracleTests : IClassFixture<SchedulerOracleTests.Oracle>
{
    public sealed class Oracle
    {
        public double[] Metrics { get; }
        public Dictionary<string, double[][]> Cases { get; }

        public Oracle()
        {
            using var json = JsonDocument.Parse(Python.RunOracle("torch_schedulers.py"));
            Metrics = json.RootElement.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Cases = json.RootElement.GetProperty("cases").EnumerateObject().ToDictionary(
                c => c.Name, c => c.Value.EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray());
        }
    }

    private readonly Oracle _o;

    public SchedulerOracleTests(Oracle o) => _o = o;

    private static (SGD opt, Tensor a, Tensor b) Optimizer()
    {
        var a = torch.zeros([2], requires_grad: true);
        var b = torch.zeros([3], requires_grad: true);
        return (torch.optim.SGD([new ParamGroup([a], lr: 0.1), new ParamGroup([b], lr: 0.05)], lr: 1.0, momentum: 0.9), a, b);
    }

    private static double[] Rates(Optimizer o) => o.param_groups.Select(g => g.lr).ToArray();

    private void AssertSequence(string name, List<double[]> ours)
    {
        var expected = _o.Cases[name];
        Assert.Equal(expected.Length, ours.Count);
        for (int e = 0; e < expected.Length; e++)
            for (int g = 0; g < 2; g++)
                Assert.True(Math.Abs(ours[e][g] - expected[e][g]) <= 1e-9 * Math.Abs(expected[e][g]) + 1e-12,
                    $"{name}: epoch {e}, group {g}: {ours[e][g]:R} vs PyTorch {expected[e][g]:R}");
    }

    [Theory]
    [InlineData("step")]
    [InlineData("exponential")]
    [InlineData("linear")]
    [InlineData("cosine")]
    [InlineData("warmup_cosine")]
    [InlineData("poly")]
    public void EpochSchedulersGivePyTorchsRates(string name)
    {
        var (opt, a, b) = Optimizer();
        using (a) using (b) using (opt)
        {
            LRScheduler s = name switch
            {
                "step" => torch.optim.lr_scheduler.StepLR(opt, 7, 0.5),
                "exponential" => torch.optim.lr_scheduler.ExponentialLR(opt, 0.9),
                "linear" => torch.optim.lr_scheduler.LinearLR(opt, start_factor: 0.25, total_iters: 8),
                "cosine" => torch.optim.lr_scheduler.CosineAnnealingLR(opt, 20, eta_min: 1e-3),
                "warmup_cosine" => torch.optim.lr_scheduler.CosineAnnealingWithWarmup(opt, warmup_epochs: 5, epochs: 30, start_factor: 0.01),
                "poly" => torch.optim.lr_scheduler.PolyLR(opt, max_epochs: 30),
                _ => throw new ArgumentException(name),
            };
            var seq = new List<double[]> { Rates(opt) };
            for (int e = 1; e < 30; e++)
            {
                opt.step();
                s.step();
                seq.Add(Rates(opt));
                Assert.Equal(Rates(opt), s.get_last_lr());
            }
            AssertSequence(name, seq);
        }
    }

    [Fact]
    public void PolyIsNnUNetsFormula()
    {
        var (opt, a, b) = Optimizer();
        using (a) using (b) using (opt)
        {
            var s = torch.optim.lr_scheduler.PolyLR(opt, max_epochs: 50);
            for (int e = 0; e < 50; e++, s.step())
                Assert.Equal(0.1 * Math.Pow(1 - e / 50.0, 0.9), opt.param_groups[0].lr, 15);
        }
    }

    [Theory]
    [InlineData("plateau_min_rel")]
    [InlineData("plateau_max_abs")]
    public void ReduceLROnPlateauGivesPyTorchsRates(string name)
    {
        var (opt, a, b) = Optimizer();
        using (a) using (b) using (opt)
        {
            var s = name == "plateau_min_rel"
                ? new ReduceLROnPlateau(opt, [0.01, 0.02], mode: "min", factor: 0.5, patience: 2, threshold: 0.01, threshold_mode: "rel", cooldown: 1)
                : torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode: "max", factor: 0.3, patience: 1, threshold: 0.05,
                    threshold_mode: "abs", min_lr: 0.001);
            var seq = new List<double[]>();
            foreach (var m in _o.Metrics)
            {
                s.step(m);
                seq.Add(Rates(opt));
            }
            AssertSequence(name, seq);
            Assert.Contains(seq, r => r[0] < 0.1); // the metric sequence does trigger reductions
        }
    }
}
