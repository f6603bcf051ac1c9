using TTL.Torch.Modules;

namespace TTL.Torch.Tests;

/// <summary>Module mechanics: names, modes, freezing, hooks, state-dict reports, dtype moves, ownership.</summary>
public class ModuleTests
{
    /// <summary>A ResNet-like block tree, to check PyTorch's dotted names.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        public readonly Conv3d conv1;
        public readonly BatchNorm3d bn1;

        public Block(long c)
        {
            register_module("conv1", conv1 = torch.nn.Conv3d(c, c, 3, padding: 1, bias: false));
            register_module("bn1", bn1 = torch.nn.BatchNorm3d(c));
        }

        public override Tensor forward(Tensor x)
        {
            using var h = conv1.call(x);
            return bn1.call(h);
        }
    }

    private sealed class Net : Module<Tensor, Tensor>
    {
        public readonly Sequential layer1;
        public readonly Linear fc;

        public Net()
        {
            register_module("layer1", layer1 = torch.nn.Sequential(new Block(2), new Block(2)));
            register_module("fc", fc = torch.nn.Linear(2, 3));
            register_buffer("scratch", torch.zeros(1), persistent: false);
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var h = layer1.call(x).mean([2, 3, 4]);
            return scope.MoveToOuter(fc.call(h));
        }
    }

    [Fact]
    public void NamesAreDottedLikePyTorch()
    {
        using var net = new Net();
        Assert.Equal(["layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.1.conv1.weight",
            "layer1.1.bn1.weight", "layer1.1.bn1.bias", "fc.weight", "fc.bias"], net.named_parameters().Select(p => p.name));
        Assert.Equal(["", "layer1", "layer1.0", "layer1.0.conv1", "layer1.0.bn1", "layer1.1", "layer1.1.conv1", "layer1.1.bn1", "fc"],
            net.named_modules().Select(m => m.name));
        Assert.Equal(["layer1", "fc"], net.named_children().Select(c => c.name));
        Assert.Contains("layer1.1.bn1.num_batches_tracked", net.named_buffers().Select(b => b.name));
        Assert.Contains("scratch", net.named_buffers().Select(b => b.name));
        using var scope = torch.NewDisposeScope();
        var keys = net.state_dict().Keys.ToList();
        Assert.DoesNotContain("scratch", keys); // non-persistent
        Assert.Equal(["layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn1.running_mean",
            "layer1.0.bn1.running_var", "layer1.0.bn1.num_batches_tracked"], keys.Take(6));
        Assert.Same(net.get_parameter("layer1.1.conv1.weight"), ((Block)net.get_submodule("layer1.1")).conv1.weight);
    }

    [Fact]
    public void TrainAndEvalReachEveryModule()
    {
        using var net = new Net();
        Assert.All(net.modules(), m => Assert.True(m.training));
        net.eval();
        Assert.All(net.modules(), m => Assert.False(m.training));
        net.train();
        Assert.All(net.modules(), m => Assert.True(m.training));
    }

    [Fact]
    public void FrozenModulesGetNoGradient()
    {
        using var net = new Net();
        net.layer1[0].requires_grad_(false);
        using var scope = torch.NewDisposeScope();
        net.call(torch.randn(2, 2, 4, 4, 4)).sum().backward();
        foreach (var (name, p) in net.named_parameters())
        {
            bool frozen = name.StartsWith("layer1.0.");
            Assert.Equal(!frozen, p.requires_grad);
            Assert.Equal(frozen, p.grad is null);
        }
    }

    [Fact]
    public void ForwardHooksSeeInputAndOutputCanReplaceItAndCanBeRemoved()
    {
        using var net = new Net();
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 2, 4, 4, 4);
        Tensor? seenIn = null, seenOut = null;
        int calls = 0;
        var block = net.layer1[1];
        var handle = block.register_forward_hook((m, input, output) =>
        {
            Assert.Same(block, m);
            // The hook runs inside Net.forward's dispose scope: captured copies must leave it.
            seenIn = input.clone().DetachFromDisposeScope();
            seenOut = output.clone().DetachFromDisposeScope();
            calls++;
            return null;
        });
        net.call(x);
        Assert.Equal(1, calls);
        using var capturedIn = seenIn!;
        using var capturedOut = seenOut!;
        using (var h0 = net.layer1[0].call(x))
        {
            Assert.True(seenIn!.allclose(h0)); // block 1 receives block 0's output
            using var h1 = block.forward(h0);
            Assert.True(seenOut!.allclose(h1));
        }

        using var zero = net.fc.register_forward_hook((m, i, o) => torch.zeros_like(o));
        Assert.True(net.call(x).eq(0).all().item<bool>());
        zero.remove();
        handle.remove();
        Assert.False(net.call(x).eq(0).all().item<bool>());
        Assert.Equal(2, calls); // called by the first two forward passes, not after removal
    }

    [Fact]
    public void StrictLoadReportsMissingUnexpectedAndMismatchedKeysAndChangesNothing()
    {
        using var net = new Net();
        using var scope = torch.NewDisposeScope();
        var sd = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().fill_(0.5));
        sd.Remove("layer1.0.conv1.weight");
        sd["extra.weight"] = torch.ones(2);
        sd["fc.weight"] = torch.ones(4, 2);
        var before = net.fc.bias!.clone();
        var ex = Assert.Throws<StateDictException>(() => net.load_state_dict(sd));
        Assert.Equal(["layer1.0.conv1.weight"], ex.Report.MissingKeys);
        Assert.Equal(["extra.weight"], ex.Report.UnexpectedKeys);
        Assert.Equal("fc.weight", Assert.Single(ex.Report.ShapeMismatches).Key);
        Assert.Contains("size mismatch for fc.weight: copying a param with shape [4, 2] from checkpoint, the shape in current model is [3, 2].", ex.Message);
        Assert.True(net.fc.bias.equal(before));

        var report = net.load_state_dict(sd, strict: false);
        Assert.False(report.IsClean);
        Assert.True(net.fc.bias.eq(0.5).all().item<bool>()); // the matching keys were copied
        Assert.False(net.fc.weight.eq(0.5).all().item<bool>()); // the mis-shaped one was skipped
    }

    [Fact]
    public void MissingNumBatchesTrackedIsAcceptedLikePyTorch()
    {
        using var net = new Net();
        using var scope = torch.NewDisposeScope();
        var sd = net.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked")).ToDictionary();
        Assert.True(net.load_state_dict(sd).IsClean);
    }

    [Fact]
    public void StateDictRoundTripsThroughSafetensors()
    {
        using var dir = new TTL.TestSupport.TempDir();
        using var a = new Net();
        using var b = new Net();
        using var scope = torch.NewDisposeScope();
        TensorRecords.SaveSafetensors(dir.File("m.safetensors"), a.state_dict());
        Assert.True(b.load_state_dict(dir.File("m.safetensors")).IsClean);
        var x = torch.randn(2, 2, 3, 3, 3);
        a.eval();
        b.eval();
        Assert.True(a.call(x).equal(b.call(x)));
    }

    [Fact]
    public void ToDtypeConvertsFloatingTensorsInPlaceAndKeepsIntegerBuffers()
    {
        using var net = new Net();
        var weight = net.fc.weight;
        using var opt = torch.optim.SGD(net.parameters(), lr: 0.1);
        net.to(DType.Float64);
        Assert.Same(weight, net.fc.weight); // same object: the optimizer still holds the parameter
        Assert.Equal(DType.Float64, weight.dtype);
        Assert.True(weight.requires_grad && weight.is_leaf);
        Assert.Equal(DType.Int64, net.get_buffer("layer1.0.bn1.num_batches_tracked").dtype);
        using var scope = torch.NewDisposeScope();
        // Weighted: BatchNorm makes the plain batch sum of features zero, and with it fc's gradient.
        (net.call(torch.randn([2, 2, 3, 3, 3], DType.Float64)) * torch.randn([2, 3], DType.Float64)).sum().backward();
        var before = weight.clone();
        Assert.NotNull(weight.grad);
        Assert.Equal(DType.Float64, weight.grad!.dtype);
        opt.step();
        Assert.False(weight.equal(before));
    }

    [Fact]
    public void ApplyVisitsChildrenBeforeParents()
    {
        using var net = new Net();
        var order = new List<string>();
        net.apply(m => order.Add(m.GetName()));
        Assert.Equal("Net", order[^1]);
        Assert.True(order.IndexOf("Conv3d") < order.IndexOf("Block"));
        net.apply(m => { if (m is Linear l) torch.nn.init.zeros_(l.weight); });
        Assert.True(net.fc.weight.eq(0).all().item<bool>());
    }

    [Fact]
    public void ParametersOutliveDisposeScopesAndDieWithTheModule()
    {
        Net net;
        using (torch.NewDisposeScope()) net = new Net();
        Assert.False(net.fc.weight.IsDisposed);
        var w = net.fc.weight;
        net.Dispose();
        Assert.True(w.IsDisposed);
    }

    [Fact]
    public void ZeroGradClearsOrZeroes()
    {
        using var net = new Net();
        using var scope = torch.NewDisposeScope();
        net.call(torch.randn(2, 2, 3, 3, 3)).sum().backward();
        net.zero_grad(set_to_none: false);
        Assert.True(net.fc.weight.grad!.eq(0).all().item<bool>());
        net.zero_grad();
        Assert.Null(net.fc.weight.grad);
    }
}
