namespace TTL.Torch.Optim;

/// <summary>
/// Adam and AdamW (Kingma and Ba, 2015; Loshchilov and Hutter, 2019), as torch.optim computes them:
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², v̂ = max(v̂, v) with amsgrad,
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps).
/// Weight decay is added to the gradient (Adam, L2) or applied as p ← p·(1 − lr·wd) before the
/// update (AdamW, decoupled).
/// </summary>
public abstract class AdamBase : Optimizer
{
    private readonly bool _decoupledWeightDecay;

    private protected AdamBase(IEnumerable<ParamGroup> groups, double lr, (double, double) betas, double eps, double weight_decay,
        bool amsgrad, bool maximize, bool decoupledWeightDecay)
        : base(groups, new()
        {
            ["lr"] = lr, ["betas"] = betas, ["eps"] = eps, ["weight_decay"] = weight_decay, ["amsgrad"] = amsgrad,
            ["maximize"] = maximize,
        }) => _decoupledWeightDecay = decoupledWeightDecay;

    protected override bool CountsSteps => true;

    protected override void Validate(ParamGroup group)
    {
        base.Validate(group);
        var (b1, b2) = group.Get<(double, double)>("betas");
        if (b1 is < 0 or >= 1) throw new ArgumentException($"Invalid beta parameter at index 0: {b1}");
        if (b2 is < 0 or >= 1) throw new ArgumentException($"Invalid beta parameter at index 1: {b2}");
        if (group.Get<double>("eps") < 0) throw new ArgumentException($"Invalid epsilon value: {group["eps"]}");
        if (group.Get<double>("weight_decay") < 0) throw new ArgumentException($"Invalid weight_decay value: {group["weight_decay"]}");
    }

    private protected override void Update(ParamGroup group, Tensor param, Tensor grad, ParamState state)
    {
        double lr = group.lr, eps = group.Get<double>("eps"), weightDecay = group.Get<double>("weight_decay");
        var (beta1, beta2) = group.Get<(double, double)>("betas");
        bool amsgrad = group.Get<bool>("amsgrad");

        var expAvg = state.Get("exp_avg") ?? state.Set("exp_avg", torch.zeros_like(param));
        var expAvgSq = state.Get("exp_avg_sq") ?? state.Set("exp_avg_sq", torch.zeros_like(param));
        var maxExpAvgSq = amsgrad ? state.Get("max_exp_avg_sq") ?? state.Set("max_exp_avg_sq", torch.zeros_like(param)) : null;

        using var negated = group.Get<bool>("maximize") ? grad.neg() : null;
        var g = negated ?? grad;
        Tensor? decayed = null;
        if (weightDecay != 0)
        {
            if (_decoupledWeightDecay) param.mul_(1 - lr * weightDecay);
            else g = decayed = g.add(param, weightDecay);
        }
        using (decayed)
        {
            expAvg.mul_(beta1).add_(g, 1 - beta1);
            expAvgSq.mul_(beta2).addcmul_(g, g, 1 - beta2);
        }

        double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, state.step));
        double stepSize = lr / biasCorrection1;
        using var denom = amsgrad ? maxExpAvgSq!.maximum_(expAvgSq).sqrt() : expAvgSq.sqrt();
        denom.div_(biasCorrection2Sqrt).add_(eps);
        param.addcdiv_(expAvg, denom, -stepSize);
    }
}
