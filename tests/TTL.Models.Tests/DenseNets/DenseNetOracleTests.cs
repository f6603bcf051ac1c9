using TTL.Models.Checkpoints;
using TTL.Models.DenseNets;
using TTL.Models.Heads;
using TTL.TestSupport;
using TTL.Torch;

namespace TTL.Models.Tests.DenseNets;

/// <summary>Writes the DenseNet oracle's checkpoint and activations once for the class.</summary>
public sealed class DenseNetOracleFixture : IDisposable
{
    public TempDir Dir { get; } = new();

    public string Weights => Dir.File("densenet121.pth");

    public Dictionary<string, Tensor> Io { get; }

    public DenseNetOracleFixture()
    {
        Python.RunOracle("densenet3d.py", Dir.Path);
        Io = TensorRecords.LoadSafetensors(Dir.File("densenet121.io.safetensors"));
    }

    public void Dispose()
    {
        foreach (var t in Io.Values) t.Dispose();
        Dir.Dispose();
    }
}

public sealed class DenseNetOracleTests(DenseNetOracleFixture oracle) : IClassFixture<DenseNetOracleFixture>
{
    /// <summary>max |ours − theirs| / max |theirs| (1e-4 is the tolerance).</summary>
    internal static double RelativeError(Tensor ours, Tensor theirs)
    {
        Assert.Equal(theirs.shape, ours.shape);
        using var diff = ours.sub(theirs);
        using var absDiff = diff.abs();
        using var maxDiff = absDiff.max();
        using var absRef = theirs.abs();
        using var maxRef = absRef.max();
        return maxDiff.item<float>() / Math.Max(maxRef.item<float>(), 1e-12);
    }

    [Fact]
    public void Has_torchvision_names_and_the_four_cut_points()
    {
        using var net = DenseNet3d.DenseNet121();
        var keys = net.state_dict().Keys.ToList();
        Assert.Contains("features.conv0.weight", keys);
        Assert.Contains("features.denseblock1.denselayer1.norm1.running_var", keys);
        Assert.Contains("features.denseblock3.denselayer24.conv2.weight", keys);
        Assert.Contains("features.transition3.conv.weight", keys);
        Assert.Contains("features.norm5.weight", keys);
        Assert.Equal(["features.transition1", "features.transition2", "features.transition3", "features.norm5"],
            net.AllCutPoints.Select(c => c.Name));
        Assert.Equal([128L, 256, 512, 1024], net.AllCutPoints.Select(c => c.Channels));
        // 120 convolutions (no bias) and 121 batch norms.
        Assert.Equal(120 + 2 * 121, net.parameters().Count());
    }

    [Fact]
    public void Legacy_module_prefixed_checkpoint_loads_strictly_and_every_cut_matches_pytorch()
    {
        using var net = DenseNet3d.DenseNet121();
        var report = PretrainedWeights.LoadInto(net, oracle.Weights);
        Assert.True(report.BodyComplete);
        Assert.Equal(["classifier.bias", "classifier.weight"], report.Ignored.Order());
        net.eval();
        using var noGrad = torch.no_grad();
        var cuts = net.AllCutPoints;
        var acts = net.features(oracle.Io["x"], cuts);
        try
        {
            for (int i = 0; i < cuts.Count; i++)
                Assert.True(RelativeError(acts[i], oracle.Io[cuts[i].Name]) < 1e-4, $"{cuts[i].Name}: {RelativeError(acts[i], oracle.Io[cuts[i].Name])}");
        }
        finally
        {
            foreach (var a in acts) a.Dispose();
        }
    }

    [Fact]
    public void Truncated_networks_reproduce_the_activation_at_their_cut()
    {
        using var net = DenseNet3d.DenseNet121();
        PretrainedWeights.LoadInto(net, oracle.Weights);
        using var noGrad = torch.no_grad();
        foreach (var cut in net.AllCutPoints.Take(3))
        {
            using var truncated = net.Truncate(cut);
            truncated.eval();
            Assert.Equal(cut.Index, truncated.KeptBlocks);
            Assert.DoesNotContain(truncated.state_dict().Keys, k => k.StartsWith($"features.denseblock{cut.Index + 1}."));
            using var y = truncated.call(oracle.Io["x"]);
            Assert.True(RelativeError(y, oracle.Io[cut.Name]) < 1e-4, cut.Name);
        }
    }

    [Fact]
    public void Full_network_with_the_checkpoint_classifier_as_head_gives_torchvision_logits()
    {
        using var net = DenseNet3d.DenseNet121();
        var weights = PretrainedWeights.Read(oracle.Weights);
        try
        {
            PretrainedWeights.LoadInto(net, weights);
            net.SetHead(new ClassificationHead(1024, 3));
            net.head!.load_state_dict(new Dictionary<string, Tensor>
            {
                ["fc.weight"] = weights["classifier.weight"],
                ["fc.bias"] = weights["classifier.bias"],
            });
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        net.eval();
        using var noGrad = torch.no_grad();
        using var logits = net.call(oracle.Io["x"]);
        Assert.True(RelativeError(logits, oracle.Io["logits"]) < 1e-4);
    }
}
