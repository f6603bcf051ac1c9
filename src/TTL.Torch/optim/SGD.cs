namespace TTL.Torch.Optim;

/// <summary>
/// Stochastic gradient descent with momentum (torch.optim.SGD). With g the gradient (+ weight_decay·p):
/// b ← g on the first step, else b ← momentum·b + (1 − dampening)·g; the step direction is
/// g + momentum·b with nesterov, b without; p ← p − lr·direction.
/// </summary>
public sealed class SGD : Optimizer
{
    public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false)
        : base(groups, new()
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weight_decay,
            ["nesterov"] = nesterov, ["maximize"] = maximize,
        })
    {
    }

    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weight_decay, nesterov, maximize)
    {
    }

    protected override bool CountsSteps => false;

    protected override void Validate(ParamGroup group)
    {
        base.Validate(group);
        double momentum = group.Get<double>("momentum");
        if (momentum < 0) throw new ArgumentException($"Invalid momentum value: {momentum}");
        if (group.Get<double>("weight_decay") < 0) throw new ArgumentException($"Invalid weight_decay value: {group["weight_decay"]}");
        if (group.Get<bool>("nesterov") && (momentum <= 0 || group.Get<double>("dampening") != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }

    private protected override void Update(ParamGroup group, Tensor param, Tensor grad, ParamState state)
    {
        double lr = group.lr, momentum = group.Get<double>("momentum"), weightDecay = group.Get<double>("weight_decay");
        using var negated = group.Get<bool>("maximize") ? grad.neg() : null;
        var g = negated ?? grad;
        using var decayed = weightDecay != 0 ? g.add(param, weightDecay) : null;
        g = decayed ?? g;
        if (momentum == 0)
        {
            param.add_(g, -lr);
            return;
        }
        var buf = state.Get("momentum_buffer");
        if (buf is null) buf = state.Set("momentum_buffer", g.clone());
        else buf.mul_(momentum).add_(g, 1 - group.Get<double>("dampening"));
        if (group.Get<bool>("nesterov"))
        {
            using var direction = g.add(buf, momentum);
            param.add_(direction, -lr);
        }
        else param.add_(buf, -lr);
    }
}
