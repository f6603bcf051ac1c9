using TTL.Models.Heads;
using TTL.Models.ResNets;
using TTL.Torch;

namespace TTL.Models.Tests.ResNets;

public class ResNetStructureTests
{
    [Theory]
    [InlineData("resnet10", 5)]
    [InlineData("resnet18", 9)]
    [InlineData("resnet34", 17)]
    [InlineData("resnet50", 17)]
    [InlineData("resnet101", 34)]
    [InlineData("resnet152", 51)]
    [InlineData("resnet200", 67)]
    public void CutPointsAreTheStemAndEveryResidualBlock(string arch, int count)
    {
        var cuts = Architectures.CutPointsOf(arch);
        Assert.Equal(count, cuts.Count);
        Assert.Equal("stem", cuts[0].Name);
        Assert.Equal(Enumerable.Range(1, count), cuts.Select(c => c.Index));
        Assert.Equal(["layer1", "layer2", "layer3", "layer4"], cuts.Where(c => c.EndsStage).Select(c => c.Name.Split('.')[0]));
    }

    [Fact]
    public void CutsResolveByIndexNameStageAndFull()
    {
        var cuts = Architectures.CutPointsOf("resnet50");
        Assert.Equal("stem", BlockNetwork.ResolveCut(cuts, "1").Name);
        Assert.Equal("layer2.0", BlockNetwork.ResolveCut(cuts, "layer2.0").Name);
        Assert.Equal(5, BlockNetwork.ResolveCut(cuts, "layer2.0").Index);
        Assert.Equal("layer3.5", BlockNetwork.ResolveCut(cuts, "layer3").Name);
        Assert.Equal(17, BlockNetwork.ResolveCut(cuts, "full").Index);
        Assert.Throws<ArgumentException>(() => BlockNetwork.ResolveCut(cuts, "18"));
        Assert.Throws<ArgumentException>(() => BlockNetwork.ResolveCut(cuts, "layer5"));
    }

    [Fact]
    public void ParameterNamesAreMedicalNets()
    {
        using var net = Architectures.Create("resnet50", keptBlocks: 5);
        var names = net.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("layer1.0.conv3.weight", names);
        Assert.Contains("layer2.0.downsample.0.weight", names);
        Assert.Contains("layer2.0.downsample.1.bias", names);
        Assert.Contains("layer2.0.conv2.weight", names);
        Assert.DoesNotContain(names, n => n.StartsWith("layer2.1."));
        Assert.Equal([64L, 1, 7, 7, 7], net.get_parameter("conv1.weight").shape);
    }

    [Fact]
    public void ShortcutAHasNoParametersAndPadsChannels()
    {
        using var net = Architectures.Create("resnet18", keptBlocks: 4);
        Assert.DoesNotContain(net.state_dict().Keys, k => k.Contains("downsample"));
        using var noGrad = torch.no_grad();
        using var x = torch.randn(1, 1, 16, 16, 16);
        using var y = net.call(x);
        Assert.Equal([1L, 128, 2, 2, 2], y.shape);
    }

    [Fact]
    public void MedicalNetLayoutHasOutputStride8AndStandardLayout32()
    {
        using var noGrad = torch.no_grad();
        using var x = torch.randn(1, 1, 32, 64, 64);
        using var med = Architectures.Create("resnet10");
        using var y = med.call(x);
        Assert.Equal([1L, 512, 4, 8, 8], y.shape);
        Assert.Equal((8L, 8L, 8L), (med.Cut.Stride.D, med.Cut.Stride.H, med.Cut.Stride.W));
        using var std = Architectures.Create("resnet18-std");
        using var z = std.call(x);
        Assert.Equal([1L, 512, 2, 2, 2], z.shape);
        Assert.Equal((16L, 32L, 32L), (std.Cut.Stride.D, std.Cut.Stride.H, std.Cut.Stride.W));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(17)]
    public void TruncateKeepsExactlyTheKeptBlocksParametersPlusTheHead(int k)
    {
        using var full = Architectures.Create("resnet50");
        var cut = full.AllCutPoints[k - 1];
        using var t = full.Truncate(cut, new ClassificationHead(cut.Channels, 2, dropout: 0.2));
        var fullParams = full.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var kept = fullParams.Keys.Where(n => full.OwnerOf(n)!.Index <= k).ToHashSet();
        var body = t.named_parameters().Where(p => !p.name.StartsWith("head.")).ToList();
        Assert.Equal(kept.OrderBy(n => n), body.Select(p => p.name).OrderBy(n => n));
        foreach (var (name, p) in body) Assert.True(p.equal(fullParams[name]), name);
        Assert.Equal(["head.fc.bias", "head.fc.weight"], t.named_parameters().Select(p => p.name).Where(n => n.StartsWith("head.")).OrderBy(n => n));
        Assert.Equal(k, t.CutPoints.Count);
    }

    [Fact]
    public void FeaturesReturnsEveryRequestedCutFromOnePass()
    {
        using var net = Architectures.Create("resnet10");
        net.eval();
        using var noGrad = torch.no_grad();
        using var x = torch.randn(1, 1, 16, 16, 16);
        var cuts = net.AllCutPoints.Where(c => c.EndsStage).ToList();
        var feats = net.features(x, [cuts[2], cuts[0], cuts[2]]);
        try
        {
            using var direct = net.forward_to(x, cuts[2]);
            Assert.True(feats[0].equal(direct));
            Assert.True(feats[2].equal(direct));
            Assert.Equal(64, feats[1].shape[1]);
        }
        finally
        {
            foreach (var f in feats) f.Dispose();
        }
    }

    [Fact]
    public void SegmentationDecoderReturnsToTheInputResolution()
    {
        using var full = Architectures.Create("resnet18");
        var cut = full.ResolveCut("layer2");
        using var t = full.Truncate(cut, new SegmentationDecoder(cut.Channels, 3));
        using var x = torch.randn(1, 1, 20, 24, 28);
        using var y = t.call(x);
        Assert.Equal([1L, 3, 20, 24, 28], y.shape);
    }

    [Theory]
    [InlineData("cbr-small", 4, 256)]
    [InlineData("cbr-tiny", 4, 512)]
    [InlineData("cbr-larget", 5, 512)]
    public void CbrNetworksCutAfterEveryStage(string arch, int stages, long channels)
    {
        using var net = Architectures.Create(arch);
        Assert.Equal(stages, net.AllCutPoints.Count);
        Assert.All(net.AllCutPoints, c => Assert.True(c.EndsStage));
        using var noGrad = torch.no_grad();
        using var x = torch.randn(1, 1, 32, 32, 32);
        using var y = net.call(x);
        Assert.Equal(channels, y.shape[1]);
        using var t = net.Truncate(net.AllCutPoints[1], new ClassificationHead(net.AllCutPoints[1].Channels, 2));
        Assert.DoesNotContain(t.state_dict().Keys, k => k.StartsWith("stage3."));
    }

    [Fact]
    public void UnknownArchitectureListsTheKnownOnes()
    {
        var e = Assert.Throws<UnknownArchitectureException>(() => Architectures.Create("resnet51"));
        Assert.Contains("resnet50-std", e.Message);
        Assert.Contains("cbr-tiny", e.Message);
    }
}
