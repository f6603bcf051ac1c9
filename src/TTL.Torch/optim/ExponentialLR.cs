namespace TTL.Torch.Optim;

/// <summary>lr = initial_lr · gamma^epoch (torch.optim.lr_scheduler.ExponentialLR).</summary>
public sealed class ExponentialLR : LRScheduler
{
    public double gamma { get; }

    public ExponentialLR(Optimizer optimizer, double gamma, long last_epoch = -1) : base(optimizer, last_epoch)
    {
        this.gamma = gamma;
        InitialStep();
    }

    public override double lr_at(int group, long epoch) => base_lrs[group] * Math.Pow(gamma, epoch);
}
