namespace TTL.Torch.Optim;

/// <summary>
/// Runs schedulers one after another (torch.optim.lr_scheduler.SequentialLR): scheduler i is in
/// charge from milestone i−1 on, and counts its epochs from that milestone, so
/// lr(e) = schedulers[i].lr_at(e − milestones[i−1]).
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly long[] _milestones;

    public SequentialLR(Optimizer optimizer, LRScheduler[] schedulers, long[] milestones, long last_epoch = -1)
        : base(optimizer, last_epoch)
    {
        if (schedulers.Any(s => s.optimizer != optimizer))
            throw new ArgumentException("SequentialLR expects all schedulers to belong to the same optimizer");
        if (milestones.Length != schedulers.Length - 1)
            throw new ArgumentException($"SequentialLR expects {schedulers.Length - 1} milestones for {schedulers.Length} schedulers, got {milestones.Length}");
        _schedulers = schedulers;
        _milestones = milestones;
        InitialStep();
    }

    private int Index(long epoch)
    {
        int i = 0;
        while (i < _milestones.Length && epoch >= _milestones[i]) i++;
        return i;
    }

    public override double lr_at(int group, long epoch)
    {
        int i = Index(epoch);
        long local = i == 0 ? epoch : epoch - _milestones[i - 1];
        _schedulers[i].last_epoch = local;
        return _schedulers[i].lr_at(group, local);
    }
}
