using TTL.Models.Heads;
using TTL.Models.Strategies;
using TTL.Models.UNets;
using TTL.Torch;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Models.Tests.Strategies;

/// <summary>
/// Each strategy builds the model it promises, from "pretrained" weights made here: a network of the
/// same architecture with every tensor perturbed so that nothing equals a default initialisation.
/// </summary>
public sealed class StrategyBuilderTests
{
    private const string Arch = "unet";

    private static Dictionary<string, Tensor> Pretrained(string arch, long seed)
    {
        torch.manual_seed(seed);
        using var net = Architectures.Create(arch);
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, t) in net.state_dict())
        {
            using (t)
            {
                var copy = t.clone();
                if (copy.dtype == DType.Float32)
                    using (torch.no_grad())
                    {
                        using var noise = torch.randn_like(copy);
                        using var scaled = noise.mul_(0.3);
                        copy.add_(scaled).add_(0.05);
                        if (name.EndsWith("running_var")) copy.clamp_(min: 0.1);
                    }
                result[name] = copy;
            }
        }
        return result;
    }

    private static void Free(Dictionary<string, Tensor> d)
    {
        foreach (var t in d.Values) t.Dispose();
    }

    private static Dictionary<string, Tensor> Snapshot(TransferModel m) =>
        m.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static bool Same(Tensor a, Tensor b) => a.shape.AsSpan().SequenceEqual(b.shape) && a.bytes().AsSpan().SequenceEqual(b.bytes());

    /// <summary>One SGD step (momentum, weight decay) on a segmentation loss over a 16³ batch.</summary>
    private static void Step(TransferModel m)
    {
        using var scope = torch.NewDisposeScope();
        using var opt = torch.optim.SGD(m.ParamGroups(0.1), lr: 0.1, momentum: 0.9, weight_decay: 1e-2);
        var x = torch.randn(2, 1, 16, 16, 16);
        var y = m.Network.call(x);
        var target = torch.rand(y.shape);
        var loss = F.mse_loss(y, target);
        loss.backward();
        opt.step();
    }

    [Fact]
    public void Linear_freezes_the_whole_body_and_a_step_moves_only_the_head()
    {
        var w = Pretrained("unet-genesis", 1);
        using var m = new StrategyBuilder("unet-genesis", TaskKind.Segmentation, 2).Build(Strategy.Parse("linear"), w);
        var before = Snapshot(m);
        using var statsBefore = m.Network.get_buffer("down_tr128.ops.0.bn1.running_mean").clone();
        Step(m);
        foreach (var (name, p) in m.Network.named_parameters())
        {
            bool head = name.StartsWith("head.");
            Assert.Equal(!head, m.Frozen.Contains(name));
            Assert.Equal(head, p.requires_grad);
            if (head) Assert.False(Same(p, before[name]), $"{name} did not move");
            else
            {
                Assert.Null(p.grad);
                Assert.True(Same(p, before[name]), $"frozen {name} changed");
                Assert.True(Same(p, w[name]), $"{name} is not the pretrained tensor");
            }
        }
        // A frozen block keeps its pretrained BatchNorm statistics too.
        Assert.True(Same(statsBefore, m.Network.get_buffer("down_tr128.ops.0.bn1.running_mean")));
        Assert.True(Same(statsBefore, w["down_tr128.ops.0.bn1.running_mean"]));
        Assert.Equal(["head"], m.Groups.Where(g => g.Parameters.Count > 0).Select(g => g.Name));
        Free(before);
        Free(w);
    }

    [Fact]
    public void Lwft_freezes_blocks_up_to_K_and_fine_tunes_the_rest_or_lowers_their_learning_rate()
    {
        var w = Pretrained(Arch, 2);
        var builder = new StrategyBuilder(Arch, TaskKind.Segmentation, 1);
        using (var m = builder.Build(Strategy.Parse("lwft:level2"), w))
        {
            var before = Snapshot(m);
            Step(m);
            foreach (var (name, p) in m.Network.named_parameters())
            {
                int? level = m.Network.OwnerOf(name)?.Index;
                bool frozen = level is <= 2;
                Assert.Equal(frozen, m.Frozen.Contains(name));
                Assert.Equal(frozen, Same(p, before[name]));
            }
            Assert.Contains("down1.ops.conv1.weight", m.Frozen);
            // up1 decodes level 2's output (level 2 owns it); up2 decodes level 3's.
            Assert.Contains("up1.ops.conv2.weight", m.Frozen);
            Assert.DoesNotContain("up2.ops.conv2.weight", m.Frozen);
            Assert.DoesNotContain("down3.ops.conv1.weight", m.Frozen);
            Free(before);
        }
        using (var m = builder.Build(Strategy.Parse("lwft:2,body_lr=0.1"), w))
        {
            Assert.Empty(m.Frozen);
            var lower = m.Groups.Single(g => g.Name == "body.lower");
            Assert.Equal(0.1, lower.LrMultiplier);
            Assert.All(lower.Parameters, p => Assert.True(m.Network.OwnerOf(p.Name)!.Index <= 2));
            Assert.Equal([0.01, 0.1, 0.1], m.ParamGroups(0.1).Select(g => Math.Round(g.lr, 6)));
        }
        Free(w);
    }

    [Fact]
    public void Twophase_trains_only_the_head_first_then_thaws_exactly_the_blocks_above_K()
    {
        var w = Pretrained(Arch, 7);
        using var m = new StrategyBuilder(Arch, TaskKind.Segmentation, 2).Build(Strategy.Parse("twophase:level2,head_epochs=4,lr_factor=0.2"), w);
        Assert.Equal((4, 0.2), (m.SecondPhase!.AfterEpochs, m.SecondPhase.LrFactor));
        // Phase 1: the whole pretrained body is frozen (the pretrained tensors themselves), only the head trains.
        var before = Snapshot(m);
        Step(m);
        foreach (var (name, p) in m.Network.named_parameters())
        {
            bool head = name.StartsWith("head.");
            Assert.Equal(head, p.requires_grad);
            Assert.Equal(!head, m.Frozen.Contains(name));
            Assert.Equal(head, !Same(p, before[name]));
            if (!head) Assert.True(Same(p, w[name]), $"{name} is not the pretrained tensor");
        }
        Free(before);

        // Phase 2: blocks above level 2 (and the head) train, levels 1-2 stay frozen.
        m.BeginSecondPhase();
        Assert.True(m.InSecondPhase);
        before = Snapshot(m);
        Step(m);
        int moved = 0;
        foreach (var (name, p) in m.Network.named_parameters())
        {
            bool trains = name.StartsWith("head.") || m.Network.OwnerOf(name)!.Index > 2;
            Assert.Equal(trains, p.requires_grad);
            Assert.Equal(!trains, m.Frozen.Contains(name));
            if (!trains) Assert.True(Same(p, before[name]), $"frozen {name} changed");
            else if (!Same(p, before[name])) moved++;
        }
        Assert.True(moved > 10, $"only {moved} thawed tensors moved");
        var trainable = m.Groups.SelectMany(g => g.Parameters).Select(p => p.Name).ToHashSet();
        Assert.Equal(m.Network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet(), trainable);
        Free(before);
        Free(w);
    }

    [Fact]
    public void Truncate_keeps_exactly_the_parameters_of_the_kept_blocks_plus_the_head()
    {
        var w = Pretrained("densenet121", 3);
        using var m = new StrategyBuilder("densenet121", TaskKind.Classification, 5, dropout: 0.2)
            .Build(Strategy.Parse("truncate:features.transition2"), w);
        using var full = Architectures.Create("densenet121");
        var expected = full.named_parameters().Select(p => p.name).Where(n => full.OwnerOf(n)!.Index <= 2)
            .Concat(["head.fc.weight", "head.fc.bias"]).Order().ToList();
        Assert.Equal(expected, m.Network.named_parameters().Select(p => p.name).Order().ToList());
        Assert.Equal(2, m.Network.KeptBlocks);
        var head = Assert.IsType<ClassificationHead>(m.Network.head);
        Assert.Equal(256, head.in_features);
        Assert.Empty(m.Frozen);
        foreach (var (name, p) in m.Network.named_parameters().Where(p => !p.name.StartsWith("head.")))
            Assert.True(Same(p, w[name]), name);
        using var x = torch.randn(1, 1, 32, 32, 32);
        using var logits = m.Network.call(x);
        Assert.Equal([1L, 5], logits.shape);
        Free(w);
    }

    [Fact]
    public void Meanvar_draws_every_tensor_with_the_pretrained_mean_and_std()
    {
        var w = Pretrained(Arch, 4);
        torch.manual_seed(5);
        using var m = new StrategyBuilder(Arch, TaskKind.Segmentation, 1).Build(Strategy.Parse("meanvar"), w);
        Assert.Null(m.Import);
        int checkedTensors = 0;
        foreach (var (name, p) in m.Network.named_parameters().Where(p => !p.name.StartsWith("head.")))
        {
            var src = w[name];
            Assert.False(Same(p, src), $"{name} was copied, not drawn");
            long n = p.numel();
            if (n < 1000) continue;
            using var p64 = p.to(DType.Float64);
            using var s64 = src.to(DType.Float64);
            double mean = p64.mean().item<double>(), std = p64.std().item<double>();
            double refMean = s64.mean().item<double>(), refStd = s64.std().item<double>();
            // Sample mean within 5 standard errors; sample std within 5 of its standard errors (√(1/2n)).
            Assert.True(Math.Abs(mean - refMean) < 5 * refStd / Math.Sqrt(n), $"{name}: mean {mean} vs {refMean}");
            Assert.True(Math.Abs(std / refStd - 1) < 5 / Math.Sqrt(2.0 * n), $"{name}: std {std} vs {refStd}");
            // Drawn independently: no correlation with the pretrained values.
            using var prod = p64.mul(s64);
            double cov = prod.mean().item<double>() - mean * refMean;
            Assert.True(Math.Abs(cov / (std * refStd)) < 5 / Math.Sqrt(n), $"{name}: correlated with the pretrained tensor");
            checkedTensors++;
        }
        Assert.True(checkedTensors >= 10);
        Free(w);
    }

    [Fact]
    public void Transfusion_reuses_blocks_up_to_K_bit_exactly_and_slims_the_blocks_above()
    {
        var w = Pretrained(Arch, 6);
        using var m = new StrategyBuilder(Arch, TaskKind.Segmentation, 1).Build(Strategy.Parse("transfusion:2"), w);
        var net = Assert.IsType<UNet>(m.Network);
        Assert.Equal([32L, 64, 64, 128], net.AllCutPoints.Select(c => c.Channels));
        Assert.Equal([64L, 64, 3, 3, 3], net.get_parameter("down3.ops.conv1.weight").shape);
        Assert.Equal([128L, 64, 2, 2, 2], net.get_parameter("up3.up_conv.weight").shape);
        foreach (var (name, p) in net.named_parameters().Where(p => net.OwnerOf(p.name) is { Index: <= 2 }))
            Assert.True(Same(p, w[name]), $"{name} was not reused bit-exactly");
        Assert.Contains("up1.ops.conv1.weight", m.Import!.Loaded);
        Assert.Empty(m.Frozen);
        Assert.Contains("up2.up_conv.weight", m.Import!.NewHead);
        using var x = torch.randn(1, 1, 16, 16, 16);
        using var y = net.call(x);
        Assert.Equal([1L, 1, 16, 16, 16], y.shape);
        Free(w);
    }

    [Fact]
    public void Transfusion_slims_densenet_growth_above_K()
    {
        var w = Pretrained("densenet121", 7);
        using var m = new StrategyBuilder("densenet121", TaskKind.Classification, 2).Build(Strategy.Parse("transfusion:1,slim=4"), w);
        Assert.Equal([8L, 32, 3, 3, 3], m.Network.get_parameter("features.denseblock2.denselayer1.conv2.weight").shape);
        foreach (var (name, p) in m.Network.named_parameters().Where(p => m.Network.OwnerOf(p.name) is { Index: 1 }))
            Assert.True(Same(p, w[name]), name);
        Free(w);
    }

    [Fact]
    public void Transfusion_slims_resnet_blocks_above_K_and_reuses_the_rest()
    {
        var w = Pretrained("resnet18", 10);
        // Cut 3 = layer1.1: stem and layer1 keep 64 planes; layer2..4 get half their planes.
        using var m = new StrategyBuilder("resnet18", TaskKind.Classification, 2).Build(Strategy.Parse("transfusion:3"), w);
        Assert.Equal([64L, 64, 3, 3, 3], m.Network.get_parameter("layer2.0.conv1.weight").shape);
        Assert.Equal([64L, 64, 3, 3, 3], m.Network.get_parameter("layer2.0.conv2.weight").shape);
        Assert.Equal([256L, 256, 3, 3, 3], m.Network.get_parameter("layer4.1.conv2.weight").shape);
        foreach (var (name, p) in m.Network.named_parameters().Where(p => m.Network.OwnerOf(p.name) is { Index: <= 3 }))
            Assert.True(Same(p, w[name]), $"{name} was not reused bit-exactly");
        using var x = torch.randn(1, 1, 16, 16, 16);
        using var y = m.Network.call(x);
        Assert.Equal([1L, 2], y.shape);
        Free(w);
    }

    [Fact]
    public void Scratch_and_full_differ_only_in_where_the_body_comes_from()
    {
        var w = Pretrained(Arch, 8);
        var builder = new StrategyBuilder(Arch, TaskKind.Segmentation, 3);
        using var scratch = builder.Build(Strategy.Parse("scratch"), null);
        using var full = builder.Build(Strategy.Parse("full"), w);
        Assert.Null(scratch.Import);
        Assert.True(full.Import!.BodyComplete);
        foreach (var (name, p) in full.Network.named_parameters().Where(p => !p.name.StartsWith("head.")))
        {
            Assert.True(Same(p, w[name]), name);
            Assert.False(Same(scratch.Network.get_parameter(name), w[name]), name);
        }
        Assert.IsType<UNetOutput>(full.Network.head);
        Assert.Empty(full.Frozen);
        Assert.Throws<ArgumentException>(() => builder.Build(Strategy.Parse("full"), null));
        Free(w);
    }

    [Fact]
    public void Works_on_any_block_network_and_says_what_transfusion_needs_from_the_others()
    {
        var w = Pretrained("cbr-tiny", 9);
        var builder = new StrategyBuilder("cbr-tiny", TaskKind.Classification, 2);
        using var m = builder.Build(Strategy.Parse("truncate:2"), w);
        Assert.Equal(2, m.Network.KeptBlocks);
        using var lin = builder.Build(Strategy.Parse("linear"), w);
        Assert.All(lin.Network.named_parameters(), p => Assert.Equal(p.name.StartsWith("head."), p.parameter.requires_grad));
        var e = Assert.Throws<NotSupportedException>(() => builder.Build(Strategy.Parse("transfusion:2"), w));
        Assert.Contains("width factors", e.Message);
        var bad = Assert.Throws<ArgumentException>(() => builder.Build(Strategy.Parse("truncate:99"), w));
        Assert.Contains("out of range", bad.Message);
        Free(w);
    }
}
