using TTL.Models.Checkpoints;
using TTL.Models.Tests.DenseNets;
using TTL.Models.UNets;
using TTL.TestSupport;
using TTL.Torch;

namespace TTL.Models.Tests.UNets;

/// <summary>Writes the Models Genesis oracle's checkpoint and activations once for the class.</summary>
public sealed class GenesisOracleFixture : IDisposable
{
    public TempDir Dir { get; } = new();

    public string Weights => Dir.File("genesis.pt");

    public Dictionary<string, Tensor> Io { get; }

    public GenesisOracleFixture()
    {
        Python.RunOracle("genesis_unet.py", Dir.Path);
        Io = TensorRecords.LoadSafetensors(Dir.File("genesis.io.safetensors"));
    }

    public void Dispose()
    {
        foreach (var t in Io.Values) t.Dispose();
        Dir.Dispose();
    }
}

public sealed class UNetOracleTests(GenesisOracleFixture oracle) : IClassFixture<GenesisOracleFixture>
{
    private static double RelativeError(Tensor a, Tensor b) => DenseNetOracleTests.RelativeError(a, b);

    [Fact]
    public void Genesis_layout_has_the_published_names_and_shapes()
    {
        using var net = new UNet3d();
        var sd = net.state_dict();
        Assert.Equal([32L, 1, 3, 3, 3], sd["down_tr64.ops.0.conv1.weight"].shape);
        Assert.Equal([64L], sd["down_tr64.ops.1.bn1.running_mean"].shape);
        Assert.Equal([512L, 256, 3, 3, 3], sd["down_tr512.ops.1.conv1.weight"].shape);
        Assert.Equal([512L, 512, 2, 2, 2], sd["up_tr256.up_conv.weight"].shape);
        Assert.Equal([256L, 768, 3, 3, 3], sd["up_tr256.ops.0.conv1.weight"].shape);
        Assert.Equal([64L, 192, 3, 3, 3], sd["up_tr64.ops.0.conv1.weight"].shape);
        Assert.Equal(["level1", "level2", "level3", "level4"], net.AllCutPoints.Select(c => c.Name));
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void Legacy_checkpoint_loads_strictly_and_full_output_matches_pytorch()
    {
        using var net = new UNet3d();
        var weights = PretrainedWeights.Read(oracle.Weights);
        try
        {
            var report = PretrainedWeights.LoadInto(net, weights);
            Assert.True(report.BodyComplete);
            Assert.Equal(["out_tr.final_conv.bias", "out_tr.final_conv.weight"], report.Ignored.Order());
            // The published output layer is the old head: here it moves to head.final_conv.
            net.SetHead(new UNetOutput(64, 2));
            var (genesis, here) = UNet3d.GenesisHeadKeys;
            net.load_state_dict(weights.Where(kv => kv.Key.StartsWith(genesis))
                .ToDictionary(kv => here + kv.Key[genesis.Length..], kv => kv.Value), strict: false);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        net.eval();
        using var noGrad = torch.no_grad();
        using var y = net.call(oracle.Io["x"]);
        Assert.True(RelativeError(y, oracle.Io["full"]) < 1e-4);
        var acts = net.features(oracle.Io["x"], net.AllCutPoints);
        for (int k = 0; k < 4; k++)
        {
            Assert.True(RelativeError(acts[k], oracle.Io[$"enc.level{k + 1}"]) < 1e-4, $"encoder level {k + 1}");
            acts[k].Dispose();
        }
    }

    [Fact]
    public void Truncated_at_every_level_matches_the_pytorch_truncation()
    {
        using var net = new UNet3d();
        PretrainedWeights.LoadInto(net, oracle.Weights);
        using var noGrad = torch.no_grad();
        foreach (var cut in net.AllCutPoints)
        {
            using var truncated = net.Truncate(cut);
            truncated.eval();
            var keys = truncated.state_dict().Keys.ToList();
            Assert.Equal(cut.Index < 4, !keys.Any(k => k.StartsWith("down_tr512.")));
            Assert.Equal(cut.Index > 1, keys.Any(k => k.StartsWith("up_tr64.")));
            using var y = truncated.call(oracle.Io["x"]);
            Assert.Equal(64, y.shape[1]);
            Assert.True(RelativeError(y, oracle.Io[$"body.level{cut.Index}"]) < 1e-4, cut.Name);
        }
    }

    [Fact]
    public void Configurable_unet_runs_with_instance_norm_and_residual_units_and_truncates()
    {
        using var net = new UNet(new UNetConfig(InChannels: 2, Levels: 3, BaseChannels: 4, Norm: UNetNorm.Instance, Residual: true));
        net.SetHead(new UNetOutput(net.OutFeatures, 3));
        using var x = torch.randn(2, 2, 8, 8, 8);
        using var y = net.call(x);
        Assert.Equal([2L, 3, 8, 8, 8], y.shape);
        Assert.Contains("down2.ops.shortcut.weight", net.state_dict().Keys);
        Assert.Contains("up1.up_conv.weight", net.state_dict().Keys);
        using var two = net.Truncate(net.ResolveCut("level2"), new UNetOutput(4, 1));
        using var z = two.call(x);
        Assert.Equal([2L, 1, 8, 8, 8], z.shape);
        Assert.DoesNotContain(two.state_dict().Keys, k => k.StartsWith("down3.") || k.StartsWith("up2."));
        var ex = Assert.Throws<ArgumentException>(() => net.call(torch.randn(1, 2, 6, 8, 8)));
        Assert.Contains("divisible by 4", ex.Message);
    }
}
