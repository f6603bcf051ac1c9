namespace TTL.Torch.Optim;

/// <summary>Adam with decoupled weight decay (torch.optim.AdamW; default weight_decay 0.01); see <see cref="AdamBase"/>.</summary>
public sealed class AdamW : AdamBase
{
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas ?? (0.9, 0.999), eps, weight_decay, amsgrad, maximize, decoupledWeightDecay: true)
    {
    }

    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, betas, eps, weight_decay, amsgrad, maximize)
    {
    }
}
