using TTL.Torch.Modules;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Tests;

/// <summary>Layer settings, printing (strings as python3-torch 1.13 prints them), shapes and modes.</summary>
public class LayerTests
{
    public static TheoryData<string, string> Reprs() => new()
    {
        { "convT", "ConvTranspose3d(4, 2, kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1), output_padding=(1, 1, 1), groups=2, bias=False)" },
        { "convReflect", "Conv3d(2, 4, kernel_size=(1, 3, 3), stride=(1, 1, 1), padding=(0, 1, 1), padding_mode=reflect)" },
        { "layerNorm", "LayerNorm((8,), eps=1e-05, elementwise_affine=True)" },
        { "layerNorm2", "LayerNorm((4, 5), eps=1e-06, elementwise_affine=True)" },
        { "dropout", "Dropout(p=0.25, inplace=False)" },
        { "dropout3d", "Dropout3d(p=0.5, inplace=False)" },
        { "avgPool", "AvgPool3d(kernel_size=3, stride=(1, 2, 2), padding=0)" },
        { "adaptiveMax", "AdaptiveMaxPool3d(output_size=(2, 3, 4))" },
        { "upsampleScale", "Upsample(scale_factor=2.0, mode=trilinear)" },
        { "upsampleSize", "Upsample(size=(4, 5, 6), mode=nearest)" },
        { "softmax", "Softmax(dim=1)" },
        { "softmaxNone", "Softmax(dim=None)" },
        { "identity", "Identity()" },
        { "sigmoid", "Sigmoid()" },
        { "leaky", "LeakyReLU(negative_slope=0.01, inplace=True)" },
        { "gelu", "GELU(approximate='tanh')" },
        { "instanceNorm", "InstanceNorm3d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)" },
        { "batchNorm", "BatchNorm3d(5, eps=0.001, momentum=0.01, affine=False, track_running_stats=True)" },
        { "groupNorm", "GroupNorm(1, 4, eps=1e-05, affine=False)" },
        { "prelu", "PReLU(num_parameters=6)" },
        { "moduleList", "ModuleList(\n  (0): ReLU()\n  (1): Linear(in_features=2, out_features=3, bias=False)\n)" },
        { "moduleDict", "ModuleDict(\n  (a): ReLU()\n)" },
    };

    private static Module Make(string name) => name switch
    {
        "convT" => torch.nn.ConvTranspose3d(4, 2, 3, stride: 2, padding: 1, output_padding: 1, groups: 2, bias: false),
        "convReflect" => torch.nn.Conv3d(2, 4, (1, 3, 3), padding: (0, 1, 1), padding_mode: "reflect"),
        "layerNorm" => torch.nn.LayerNorm(8),
        "layerNorm2" => torch.nn.LayerNorm([4, 5], eps: 1e-6),
        "dropout" => torch.nn.Dropout(0.25),
        "dropout3d" => torch.nn.Dropout3d(),
        "avgPool" => torch.nn.AvgPool3d(3, stride: (1, 2, 2)),
        "adaptiveMax" => torch.nn.AdaptiveMaxPool3d((2, 3, 4)),
        "upsampleScale" => torch.nn.Upsample(scale_factor: 2, mode: "trilinear"),
        "upsampleSize" => torch.nn.Upsample(size: [4, 5, 6]),
        "softmax" => torch.nn.Softmax(dim: 1),
        "softmaxNone" => torch.nn.Softmax(),
        "identity" => torch.nn.Identity(),
        "sigmoid" => torch.nn.Sigmoid(),
        "leaky" => torch.nn.LeakyReLU(inplace: true),
        "gelu" => torch.nn.GELU("tanh"),
        "instanceNorm" => torch.nn.InstanceNorm3d(3),
        "batchNorm" => torch.nn.BatchNorm3d(5, eps: 1e-3, momentum: 0.01, affine: false),
        "groupNorm" => torch.nn.GroupNorm(1, 4, affine: false),
        "prelu" => torch.nn.PReLU(6, 0.1),
        "moduleList" => torch.nn.ModuleList<Module>(torch.nn.ReLU(), torch.nn.Linear(2, 3, bias: false)),
        "moduleDict" => torch.nn.ModuleDict<Module>([("a", torch.nn.ReLU())]),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Reprs))]
    public void PrintsLikePyTorch(string name, string expected)
    {
        using var m = Make(name);
        Assert.Equal(expected, m.ToString());
    }

    [Fact]
    public void ConvolutionsProduceTheExpectedShapes()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 4, 6, 7, 8);
        Assert.Equal([2, 8, 3, 4, 4], torch.nn.Conv3d(4, 8, 3, stride: 2, padding: 1).call(x).shape);
        Assert.Equal([2, 3, 12, 14, 16], torch.nn.ConvTranspose3d(4, 3, 2, stride: 2).call(x).shape);
        Assert.Equal([2, 4, 6, 7, 8], torch.nn.Conv3d(4, 4, 3, padding: 1, padding_mode: "replicate").call(x).shape);
        Assert.Equal([2, 4, 3, 3, 4], torch.nn.MaxPool3d(2).call(x).shape);
        Assert.Equal([2, 4, 1, 1, 1], torch.nn.AdaptiveAvgPool3d(1).call(x).shape);
        Assert.Equal([2, 4, 12, 14, 16], torch.nn.Upsample(2.0).call(x).shape);
        Assert.Equal([2, 4 * 6 * 7 * 8], torch.nn.Flatten().call(x).shape);
    }

    [Fact]
    public void ReflectPaddingEqualsExplicitPadThenConvolution()
    {
        using var scope = torch.NewDisposeScope();
        var conv = torch.nn.Conv3d(2, 3, 3, padding: 1, padding_mode: "reflect");
        var x = torch.randn(1, 2, 5, 5, 5);
        var expected = F.conv3d(F.pad(x, [1, 1, 1, 1, 1, 1], "reflect"), conv.weight, conv.bias);
        Assert.True(conv.call(x).allclose(expected));
    }

    [Fact]
    public void BatchNormUpdatesRunningStatsInTrainingAndUsesThemInEval()
    {
        using var bn = torch.nn.BatchNorm3d(3, momentum: 0.5);
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(4, 3, 2, 3, 3) * 2 + 1;
        bn.call(x);
        var batchMean = x.mean([0, 2, 3, 4]);
        Assert.True(bn.running_mean!.allclose(batchMean * 0.5, 1e-5, 1e-6));
        Assert.Equal(1L, bn.num_batches_tracked!.item<long>());
        bn.eval();
        var y = bn.call(x);
        var expected = (x - bn.running_mean!.view(1, 3, 1, 1, 1)) / (bn.running_var!.view(1, 3, 1, 1, 1) + 1e-5).sqrt();
        Assert.True(y.allclose(expected, 1e-5, 1e-5));
        Assert.Equal(1L, bn.num_batches_tracked!.item<long>());
    }

    [Fact]
    public void BatchNormWithoutMomentumKeepsTheCumulativeAverage()
    {
        using var bn = torch.nn.BatchNorm3d(2, momentum: null);
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(3, 2, 2, 2, 2);
        var b = torch.randn(3, 2, 2, 2, 2) + 3;
        bn.call(a);
        bn.call(b);
        var expected = (a.mean([0, 2, 3, 4]) + b.mean([0, 2, 3, 4])) / 2;
        Assert.True(bn.running_mean!.allclose(expected, 1e-5, 1e-6));
    }

    [Fact]
    public void DropoutZeroesAndRescalesInTrainingAndIsIdentityInEval()
    {
        using var drop = torch.nn.Dropout(0.25);
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(100_000);
        var y = drop.call(x);
        double zeros = y.eq(0).@float().mean().item<double>();
        Assert.InRange(zeros, 0.24, 0.26);
        Assert.True(y.masked_select(y.ne(0)).allclose(torch.full([1], 1 / 0.75)));
        drop.eval();
        Assert.True(drop.call(x).equal(x));
    }

    [Fact]
    public void Dropout3dZeroesWholeChannels()
    {
        using var drop = torch.nn.Dropout3d(0.5);
        using var scope = torch.NewDisposeScope();
        var y = drop.call(torch.ones(4, 16, 3, 3, 3));
        var perChannel = y.flatten(2).max(2).values;
        var perChannelMin = y.flatten(2).min(2).values;
        Assert.True(perChannel.equal(perChannelMin)); // each channel is all zero or all scaled
    }

    [Fact]
    public void InPlaceActivationsOverwriteTheirInput()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { -1, 2 });
        var y = torch.nn.ReLU(inplace: true).call(x);
        Assert.Equal([0f, 2f], x.data<float>());
        Assert.NotSame(x, y);
        Assert.Equal([0f, 2f], y.data<float>());
    }

    [Fact]
    public void SequentialNamesChildrenByIndexAndRunsThemInOrder()
    {
        using var seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.named_parameters().Select(p => p.name));
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(5, 3);
        var l0 = (Linear)seq[0];
        var l2 = (Linear)seq[2];
        var expected = F.linear(F.relu(F.linear(x, l0.weight, l0.bias)), l2.weight, l2.bias);
        Assert.True(seq.call(x).allclose(expected));
    }

    [Fact]
    public void SoftmaxWithoutDimFollowsPyTorchsLegacyChoice()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 3, 4, 5);
        Assert.True(torch.nn.Softmax().call(x).allclose(F.softmax(x, 1)));
        var v = torch.randn(3, 4, 5);
        Assert.True(torch.nn.Softmax().call(v).allclose(F.softmax(v, 0)));
    }
}
