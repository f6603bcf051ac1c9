namespace TTL.Torch.Tests;

/// <summary>Automatic mixed precision: autocast regions (bfloat16 on the CPU) and float16 loss scaling.</summary>
public class AmpTests
{
    [Fact]
    public void Autocast_runs_convolutions_in_bfloat16_on_the_cpu_and_restores_float32_after()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var x = torch.randn(2, 3, 6, 7, 5);
        var w = torch.randn(4, 3, 3, 3, 3);
        var full = torch.nn.functional.conv3d(x, w);
        Tensor lowered;
        using (torch.autocast(Device.CPU, DType.BFloat16))
        {
            lowered = torch.nn.functional.conv3d(x, w);
            Assert.Equal(DType.BFloat16, lowered.dtype);
            // Nested regions restore the outer one, not float32.
            using (torch.autocast(Device.CPU, DType.BFloat16)) { }
            Assert.Equal(DType.BFloat16, torch.nn.functional.conv3d(x, w).dtype);
            // Ops autocast does not list keep their input's type.
            Assert.Equal(DType.Float32, (x + 1).dtype);
        }
        Assert.Equal(DType.Float32, torch.nn.functional.conv3d(x, w).dtype);
        // bfloat16 keeps 8 significant bits: within a few percent of the largest output.
        double scale = full.abs().max().item<double>();
        double err = (lowered.to(DType.Float32) - full).abs().max().item<double>();
        Assert.InRange(err, 1e-6, 0.05 * scale);
    }

    [Fact]
    public void Autocast_refuses_a_full_precision_type()
    {
        Assert.Throws<ArgumentException>(() => torch.autocast(Device.CPU, DType.Float32));
    }

    [Fact]
    public void The_grad_scaler_unscales_skips_non_finite_steps_backs_off_and_grows()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.ones([3], requires_grad: true);
        using var opt = torch.optim.SGD([p], lr: 0.5);
        var scaler = new torch.amp.GradScaler(init_scale: 8, growth_interval: 2);

        // A finite step: the scaled loss's gradient is divided by the scale before the update.
        scaler.scale((p * torch.tensor(new float[] { 1, 2, 3 }, 3)).sum()).backward();
        using (var g = p.grad!) Assert.Equal(new float[] { 8, 16, 24 }, g.data<float>());
        scaler.step(opt);
        scaler.update();
        Assert.False(scaler.LastStepSkipped);
        Assert.Equal(new float[] { 0.5f, 0, -0.5f }, p.detach().data<float>());
        Assert.Equal((8.0, 1), (scaler.Scale, scaler.GrowthTracker));
        opt.zero_grad();

        // An infinite gradient: no update, the scale halves and the tracker restarts.
        scaler.scale((p * torch.tensor(new float[] { 1, float.PositiveInfinity, 1 }, 3)).sum()).backward();
        scaler.step(opt);
        scaler.update();
        Assert.True(scaler.LastStepSkipped);
        Assert.Equal(new float[] { 0.5f, 0, -0.5f }, p.detach().data<float>());
        Assert.Equal((4.0, 0), (scaler.Scale, scaler.GrowthTracker));
        opt.zero_grad();

        // Two finite steps in a row double it.
        for (int i = 0; i < 2; i++)
        {
            scaler.scale(p.sum()).backward();
            scaler.step(opt);
            scaler.update();
            opt.zero_grad();
        }
        Assert.Equal((8.0, 0), (scaler.Scale, scaler.GrowthTracker));
    }
}
