namespace TTL.Torch.Optim;

/// <summary>
/// Linear warm-up (torch.optim.lr_scheduler.LinearLR):
/// lr = initial_lr · (start_factor + (end_factor − start_factor) · min(epoch, total_iters) / total_iters).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    public double start_factor { get; }
    public double end_factor { get; }
    public long total_iters { get; }

    public LinearLR(Optimizer optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, long total_iters = 5,
        long last_epoch = -1) : base(optimizer, last_epoch)
    {
        if (start_factor is <= 0 or > 1) throw new ArgumentException("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        if (end_factor is < 0 or > 1) throw new ArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        this.start_factor = start_factor;
        this.end_factor = end_factor;
        this.total_iters = total_iters;
        InitialStep();
    }

    public override double lr_at(int group, long epoch) =>
        base_lrs[group] * (start_factor + (end_factor - start_factor) * Math.Min(epoch, total_iters) / total_iters);
}
