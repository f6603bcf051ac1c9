using TTL.Models.Checkpoints;
using TTL.Models.Heads;
using TTL.TestSupport;
using TTL.Torch;

namespace TTL.Models.Tests.Checkpoints;

public class ImportAndInflationTests
{
    [Fact]
    public void KeyNamesAreUnwrappedAndStrippedOfModule()
    {
        Assert.Equal(["conv1.weight", "layer1.0.bn1.bias"],
            PretrainedWeights.Normalize(["state_dict.module.conv1.weight", "state_dict.module.layer1.0.bn1.bias"]));
        Assert.Equal(["conv1.weight"], PretrainedWeights.Normalize(["conv1.weight"]));
        Assert.Throws<InvalidDataException>(() => PretrainedWeights.Normalize(["module.a", "a"]));
    }

    [Fact]
    public void WrongShortcutOrMissingKeysFailStrictlyAndCopyNothing()
    {
        using var b = Architectures.Create("resnet18", new ArchitectureOptions(Shortcut: TTL.Models.ResNets.Shortcut.B), keptBlocks: 4);
        using var a = Architectures.Create("resnet18", keptBlocks: 4);
        var weights = b.state_dict();
        try
        {
            using var before = a.get_parameter("conv1.weight").clone();
            var e = Assert.Throws<InvalidDataException>(() => PretrainedWeights.LoadInto(a, weights));
            Assert.Contains("layer2.0.downsample.0.weight", e.Message);
            Assert.True(before.equal(a.get_parameter("conv1.weight")));

            weights.Remove("layer1.1.conv2.weight", out var removed);
            removed!.Dispose();
            var e2 = Assert.Throws<InvalidDataException>(() => PretrainedWeights.LoadInto(b, weights));
            Assert.Contains("missing from the file: layer1.1.conv2.weight", e2.Message);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    [Fact]
    public void TheHeadIsNeverLoaded()
    {
        using var src = Architectures.Create("cbr-tiny");
        src.SetHead(new ClassificationHead(512, 2));
        using var dst = Architectures.Create("cbr-tiny");
        dst.SetHead(new ClassificationHead(512, 2));
        var weights = src.state_dict();
        try
        {
            var report = PretrainedWeights.LoadInto(dst, weights);
            Assert.Equal(["head.fc.weight", "head.fc.bias"], report.NewHead);
            Assert.False(dst.get_parameter("head.fc.weight").equal(src.get_parameter("head.fc.weight")));
            Assert.True(dst.get_parameter("stage4.conv.weight").equal(src.get_parameter("stage4.conv.weight")));
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    [Fact]
    public void A2dResNetInflatesToTheStandardLayoutKeyByKey()
    {
        using var target = Architectures.Create("resnet18-std");
        // torchvision resnet18 names and shapes: the 3D shapes without depth, conv1 with RGB input, plus fc.
        var w2d = new Dictionary<string, Tensor>();
        foreach (var (name, t) in target.state_dict())
        {
            var s = t.shape;
            w2d[name] = t.dim() == 5
                ? torch.randn(s[0], name == "conv1.weight" ? 3 : s[1], s[3], s[4])
                : t.clone();
            t.Dispose();
        }
        w2d["fc.weight"] = torch.randn(1000, 512);
        w2d["fc.bias"] = torch.randn(1000);
        var (w3d, report) = Inflation.Inflate2dResNet(w2d, target, FirstConvInflation.Sum);
        try
        {
            Assert.Contains(report, r => r.Key == "fc.weight" && r.Action.StartsWith("skipped"));
            Assert.DoesNotContain(report, r => r.Action == "absent from the 2D weights");
            Assert.Equal([64L, 1, 7, 7, 7], w3d["conv1.weight"].shape);
            // Summing a kernel over depth gives back the 2D kernel (a stack of equal slices responds as the image).
            using (var back = w3d["layer1.0.conv1.weight"].sum(2)) AssertAllClose(back, w2d["layer1.0.conv1.weight"]);
            using (var back = w3d["conv1.weight"].sum(2))
            using (var rgb = w2d["conv1.weight"].sum(1, keepdim: true))
                AssertAllClose(back, rgb);
            var report2 = PretrainedWeights.LoadInto(target, w3d);
            Assert.True(report2.BodyComplete, report2.ToString());
        }
        finally
        {
            foreach (var t in w2d.Values.Concat(w3d.Values)) t.Dispose();
        }
    }

    private static void AssertAllClose(Tensor a, Tensor b) => Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6));
}
