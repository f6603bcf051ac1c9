using TTL.Models.Checkpoints;
using TTL.Models.Heads;
using TTL.TestSupport;
using TTL.Torch;

namespace TTL.Models.Tests.ResNets;

/// <summary>
/// MedicalNet ResNets defined in PyTorch (tests/oracles/medicalnet.py) with random weights, saved the
/// way MedicalNet releases them (legacy torch.save, {"state_dict": {"module." + k}}), load strictly
/// into the C# networks, and their activations agree: full, and truncated at every coarse cut.
/// </summary>
public class MedicalNetOracleTests
{
    private const int Size = 32;

    [Theory]
    [InlineData(10, "B")]
    [InlineData(18, "A")]
    [InlineData(50, "B")]
    public void MedicalNetWeightsLoadStrictlyAndOutputsMatchPyTorch(int depth, string shortcut)
    {
        using var dir = new TempDir();
        Python.RunOracle("medicalnet.py", "make", depth.ToString(), shortcut, Size.ToString(), dir.Path);
        string weights = dir.File("weights.pth");
        var expected = TensorRecords.LoadSafetensors(dir.File("expected.safetensors"));
        try
        {
            using var net = Architectures.Create($"resnet{depth}");
            var report = PretrainedWeights.LoadInto(net, weights);
            Assert.True(report.BodyComplete, report.ToString());
            Assert.Empty(report.Dropped);
            Assert.All(report.Ignored, k => Assert.StartsWith("conv_seg.", k));
            Assert.NotEmpty(report.Ignored);
            Assert.Equal(shortcut == "B", net.state_dict().Keys.Any(k => k.Contains(".downsample.")));
            net.eval();

            using var noGrad = torch.no_grad();
            var x = expected["input"];
            using (var full = net.call(x)) AssertClose(expected["full"], full, "full");

            foreach (var cut in net.AllCutPoints.Where(c => c.EndsStage))
            {
                var want = expected["pooled.layer" + cut.Stage];
                // The full network's activation at the cut …
                using (var act = net.forward_to(x, cut))
                using (var pooled = act.mean([2, 3, 4]))
                    AssertClose(want, pooled, $"forward_to {cut}");
                // … the network truncated from the loaded one …
                using (var truncated = net.Truncate(cut))
                using (var act = truncated.call(x))
                using (var pooled = act.mean([2, 3, 4]))
                    AssertClose(want, pooled, $"Truncate {cut}");
                // … and a network built only up to the cut, loaded from the file: the dropped blocks are reported.
                using var built = Architectures.Create($"resnet{depth}", keptBlocks: cut.Index);
                var r = PretrainedWeights.LoadInto(built, weights);
                Assert.True(r.BodyComplete, r.ToString());
                Assert.Equal(cut.Index < net.AllCutPoints.Count, r.Dropped.Count > 0);
                built.SetHead(new ClassificationHead(cut.Channels, 3));
                built.eval();
                using (var body = built.forward_to(x, built.Cut))
                using (var pooled = body.mean([2, 3, 4]))
                    AssertClose(want, pooled, $"built to {cut}");
                using (var logits = built.call(x)) Assert.Equal([1L, 3], logits.shape);
            }
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var diff = (actual - expected).abs();
        using var scale = expected.abs();
        double err = diff.max().item<float>(), range = scale.max().item<float>();
        Assert.True(err <= 1e-4 * Math.Max(range, 1e-6), $"{what}: max |diff| {err:G3} over max |expected| {range:G3}");
    }
}
