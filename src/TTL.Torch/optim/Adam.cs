namespace TTL.Torch.Optim;

/// <summary>Adam with L2 weight decay added to the gradient (torch.optim.Adam); see <see cref="AdamBase"/>.</summary>
public sealed class Adam : AdamBase
{
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas ?? (0.9, 0.999), eps, weight_decay, amsgrad, maximize, decoupledWeightDecay: false)
    {
    }

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, betas, eps, weight_decay, amsgrad, maximize)
    {
    }
}
