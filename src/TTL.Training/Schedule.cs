using TTL.Torch;
using TTL.Torch.Optim;
using TTL.Training.Config;

namespace TTL.Training;

/// <summary>
/// The learning-rate schedule of a run, stepped once per epoch (plateau: with the validation
/// metric, higher is better). Its state is the list of step inputs, so a resumed run rebuilds it by
/// replaying them.
/// </summary>
public sealed class Schedule
{
    private readonly Optimizer _optimizer;
    private readonly LRScheduler? _epochScheduler;
    private readonly ReduceLROnPlateau? _plateau;
    private readonly List<double?> _inputs = new();

    public Schedule(ScheduleConfig c, Optimizer optimizer, int epochs, double lr)
    {
        _optimizer = optimizer;
        switch (c.Kind)
        {
            case "step": _epochScheduler = torch.optim.lr_scheduler.StepLR(optimizer, c.StepSize, c.Gamma); break;
            case "exponential": _epochScheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, c.Gamma); break;
            case "cosine" when c.WarmupEpochs > 0 && c.WarmupEpochs < epochs:
                _epochScheduler = torch.optim.lr_scheduler.CosineAnnealingWithWarmup(optimizer, c.WarmupEpochs, epochs, eta_min: c.MinLr);
                break;
            case "cosine": _epochScheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs, c.MinLr); break;
            case "poly": _epochScheduler = torch.optim.lr_scheduler.PolyLR(optimizer, epochs); break;
            case "plateau": _plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "max", c.Factor, c.Patience, min_lr: c.MinLr); break;
        }
    }

    /// <summary>The largest group learning rate now (the head's when body and head differ).</summary>
    public double LearningRate => _optimizer.param_groups.Max(g => g.lr);

    /// <summary>End of an epoch; <paramref name="metric"/> is the validation value when there was one.</summary>
    public void Step(double? metric)
    {
        _inputs.Add(metric);
        _epochScheduler?.step();
        if (_plateau is not null && metric is double m) _plateau.step(m);
    }

    public IReadOnlyList<double?> State => _inputs;

    public void Restore(IReadOnlyList<double?> inputs)
    {
        foreach (var m in inputs) Step(m);
    }
}
