namespace TTL.Torch.Optim;

/// <summary>lr = initial_lr · gamma^⌊epoch / step_size⌋ (torch.optim.lr_scheduler.StepLR).</summary>
public sealed class StepLR : LRScheduler
{
    public long step_size { get; }
    public double gamma { get; }

    public StepLR(Optimizer optimizer, long step_size, double gamma = 0.1, long last_epoch = -1) : base(optimizer, last_epoch)
    {
        if (step_size <= 0) throw new ArgumentException("step_size must be positive");
        this.step_size = step_size;
        this.gamma = gamma;
        InitialStep();
    }

    public override double lr_at(int group, long epoch) => base_lrs[group] * Math.Pow(gamma, epoch / step_size);
}
