using TTL.Torch.Optim;

namespace TTL.Torch.Tests;

/// <summary>Optimizer mechanics beside the PyTorch comparisons: options, validation, state layout, clipping.</summary>
public class OptimTests
{
    [Fact]
    public void GroupsTakeMissingOptionsFromTheDefaults()
    {
        using var a = torch.zeros([2], requires_grad: true);
        using var b = torch.zeros([2], requires_grad: true);
        using var opt = torch.optim.AdamW([new ParamGroup([a], lr: 0.5), new ParamGroup([b], new Dictionary<string, object> { ["betas"] = (0.8, 0.9) })],
            lr: 0.01, weight_decay: 0.2);
        Assert.Equal(0.5, opt.param_groups[0].lr);
        Assert.Equal(0.01, opt.param_groups[1].lr);
        Assert.Equal(0.2, opt.param_groups[1].Get<double>("weight_decay"));
        Assert.Equal((0.8, 0.9), opt.param_groups[1].Get<(double, double)>("betas"));
        Assert.Equal((0.9, 0.999), opt.param_groups[0].Get<(double, double)>("betas"));
    }

    [Fact]
    public void InvalidSettingsAreRefused()
    {
        using var a = torch.zeros([2], requires_grad: true);
        Assert.Throws<ArgumentException>(() => torch.optim.SGD([a], lr: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => torch.optim.SGD([a], lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => torch.optim.Adam([a], lr: -1));
        Assert.Throws<ArgumentException>(() => torch.optim.Adam([a], betas: (1.0, 0.9)));
        Assert.Throws<ArgumentException>(() => torch.optim.SGD([new ParamGroup([a]), new ParamGroup([a])], lr: 0.1));
    }

    [Fact]
    public void StateDictHasPyTorchsLayout()
    {
        using var a = torch.ones([3], requires_grad: true);
        using var b = torch.ones([2], requires_grad: true);
        using var opt = torch.optim.Adam([new ParamGroup([a]), new ParamGroup([b], lr: 0.1)], amsgrad: true);
        using (var scope = torch.NewDisposeScope())
        {
            (a.sum() * 2).backward();
            opt.step();
            opt.step();
        }
        using var sd = opt.state_dict();
        Assert.Equal([0], sd.state.Keys); // b had no gradient: no state
        Assert.Equal(["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"], sd.state[0].Keys);
        Assert.Equal(2.0, sd.state[0]["step"].item<double>());
        Assert.Equal([0], (int[])sd.param_groups[0]["params"]);
        Assert.Equal([1], (int[])sd.param_groups[1]["params"]);
        Assert.Equal(0.1, sd.param_groups[1]["lr"]);
        Assert.Contains("state.0.exp_avg", sd.named_tensors().Select(kv => kv.Key));
        // A snapshot: later steps do not change it.
        var snapshot = sd.state[0]["exp_avg"].clone();
        using (torch.NewDisposeScope()) opt.step();
        Assert.True(sd.state[0]["exp_avg"].equal(snapshot));
        snapshot.Dispose();
    }

    [Fact]
    public void LoadingAStateDictForAnotherLayoutFails()
    {
        using var a = torch.ones([3], requires_grad: true);
        using var b = torch.ones([2], requires_grad: true);
        using var one = torch.optim.SGD([a, b], lr: 0.1, momentum: 0.9);
        using var two = torch.optim.SGD([new ParamGroup([a]), new ParamGroup([b])], lr: 0.1);
        using var sd = one.state_dict();
        Assert.Throws<ArgumentException>(() => two.load_state_dict(sd));
    }

    [Fact]
    public void ZeroGradDefaultsToNone()
    {
        using var a = torch.ones([3], requires_grad: true);
        using var opt = torch.optim.SGD([a], lr: 0.1);
        using (torch.NewDisposeScope()) a.sum().backward();
        opt.zero_grad(set_to_none: false);
        using (var g = a.grad) Assert.True(g!.eq(0).all().item<bool>());
        opt.zero_grad();
        Assert.Null(a.grad);
    }

    [Fact]
    public void ClipGradNormScalesToTheGlobalNormAndReturnsIt()
    {
        using var a = torch.zeros([2], requires_grad: true);
        using var b = torch.zeros([1], requires_grad: true);
        using var scope = torch.NewDisposeScope();
        a.grad = torch.tensor(new float[] { 3, 0 });
        b.grad = torch.tensor(new float[] { 4 });
        var total = torch.nn.utils.clip_grad_norm_([a, b], max_norm: 1.0);
        Assert.Equal(5.0, total.item<double>(), 5);
        double coef = 1.0 / (5 + 1e-6);
        Assert.Equal(3 * coef, a.grad!.data<float>()[0], 5);
        Assert.Equal(4 * coef, b.grad!.data<float>()[0], 5);

        var again = torch.nn.utils.clip_grad_norm_([a, b], max_norm: 10.0); // below the limit: unchanged
        Assert.Equal(1.0, again.item<double>(), 5);
        Assert.Equal(3 * coef, a.grad!.data<float>()[0], 5);

        var inf = torch.nn.utils.clip_grad_norm_([a, b], max_norm: 0.4, norm_type: double.PositiveInfinity);
        Assert.Equal(4 * coef, inf.item<double>(), 5);
        Assert.Equal(0.4, b.grad!.data<float>()[0], 4);
    }
}
