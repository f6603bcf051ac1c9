namespace TTL.Torch.Optim;

/// <summary>
/// Polynomial decay (torch.optim.lr_scheduler.PolynomialLR):
/// lr = initial_lr · (1 − min(epoch, total_iters) / total_iters)^power. With total_iters = the
/// number of epochs and power 0.9 this is nnU-Net's poly schedule.
/// </summary>
public sealed class PolynomialLR : LRScheduler
{
    public long total_iters { get; }
    public double power { get; }

    public PolynomialLR(Optimizer optimizer, long total_iters = 5, double power = 1.0, long last_epoch = -1) : base(optimizer, last_epoch)
    {
        if (total_iters <= 0) throw new ArgumentException("total_iters must be positive");
        this.total_iters = total_iters;
        this.power = power;
        InitialStep();
    }

    public override double lr_at(int group, long epoch) =>
        base_lrs[group] * Math.Pow(1 - (double)Math.Min(epoch, total_iters) / total_iters, power);
}
