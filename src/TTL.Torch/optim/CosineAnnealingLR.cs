namespace TTL.Torch.Optim;

/// <summary>
/// Cosine annealing (torch.optim.lr_scheduler.CosineAnnealingLR, SGDR without restarts):
/// lr = eta_min + (initial_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    public long T_max { get; }
    public double eta_min { get; }

    public CosineAnnealingLR(Optimizer optimizer, long T_max, double eta_min = 0, long last_epoch = -1) : base(optimizer, last_epoch)
    {
        if (T_max <= 0) throw new ArgumentException("T_max must be positive");
        this.T_max = T_max;
        this.eta_min = eta_min;
        InitialStep();
    }

    public override double lr_at(int group, long epoch) =>
        eta_min + (base_lrs[group] - eta_min) * (1 + Math.Cos(Math.PI * epoch / T_max)) / 2;
}
