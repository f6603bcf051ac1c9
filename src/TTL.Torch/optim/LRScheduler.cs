namespace TTL.Torch.Optim;

/// <summary>
/// The base of the epoch-indexed learning-rate schedulers (torch.optim.lr_scheduler). Each
/// scheduler defines the learning rate of epoch e in closed form from the group's initial_lr;
/// PyTorch computes most of them recursively from the previous value, which is the same
/// sequence up to floating-point rounding. Construction performs the first step (epoch 0), as in
/// PyTorch; call <see cref="step"/> once per epoch after the optimizer's steps.
/// </summary>
public abstract class LRScheduler
{
    public Optimizer optimizer { get; }

    /// <summary>The initial learning rate of each group.</summary>
    public IReadOnlyList<double> base_lrs { get; }

    /// <summary>The epoch whose learning rate is set now (-1 before the first step).</summary>
    public long last_epoch { get; internal set; }

    private double[] _lastLr = [];

    protected LRScheduler(Optimizer optimizer, long last_epoch = -1)
    {
        this.optimizer = optimizer;
        foreach (var g in optimizer.param_groups)
        {
            if (last_epoch == -1) g.initial_lr ??= g.lr;
            else if (g.initial_lr is null)
                throw new ArgumentException("param 'initial_lr' is not specified in param_groups when resuming an optimizer");
        }
        base_lrs = optimizer.param_groups.Select(g => g.initial_lr!.Value).ToArray();
        this.last_epoch = last_epoch;
    }

    /// <summary>Called at the end of a subclass constructor: PyTorch's initial step to epoch last_epoch + 1.</summary>
    protected void InitialStep() => step();

    /// <summary>The learning rate of group <paramref name="group"/> at <paramref name="epoch"/>.</summary>
    public abstract double lr_at(int group, long epoch);

    /// <summary>Advances one epoch and sets each group's learning rate.</summary>
    public void step()
    {
        last_epoch++;
        Apply();
    }

    private protected void Apply()
    {
        var groups = optimizer.param_groups;
        _lastLr = new double[groups.Count];
        for (int k = 0; k < groups.Count; k++) groups[k].lr = _lastLr[k] = lr_at(k, last_epoch);
    }

    /// <summary>The learning rates set by the last step, one per group.</summary>
    public IReadOnlyList<double> get_last_lr() => _lastLr;
}
