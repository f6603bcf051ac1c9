namespace TTL.Torch.Optim;

/// <summary>
/// Lowers the learning rate when a metric stops improving (torch.optim.lr_scheduler.ReduceLROnPlateau).
/// A metric improves on the best one when (mode min) it is below best·(1 − threshold) ("rel") or
/// best − threshold ("abs"); max mode mirrors that. After more than <c>patience</c> epochs without
/// improvement, lr ← max(lr · factor, min_lr), then <c>cooldown</c> epochs pass before counting again.
/// </summary>
public sealed class ReduceLROnPlateau
{
    public Optimizer optimizer { get; }
    public string mode { get; }
    public double factor { get; }
    public long patience { get; }
    public double threshold { get; }
    public string threshold_mode { get; }
    public long cooldown { get; }
    public IReadOnlyList<double> min_lrs { get; }
    public double eps { get; }

    public double best { get; private set; }
    public long num_bad_epochs { get; private set; }
    public long cooldown_counter { get; private set; }
    public long last_epoch { get; private set; }

    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, long patience = 10,
        double threshold = 1e-4, string threshold_mode = "rel", long cooldown = 0, double min_lr = 0, double eps = 1e-8)
        : this(optimizer, Enumerable.Repeat(min_lr, optimizer.param_groups.Count).ToArray(), mode, factor, patience, threshold,
            threshold_mode, cooldown, eps)
    {
    }

    /// <summary>With one minimum learning rate per parameter group.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, double[] min_lrs, string mode = "min", double factor = 0.1, long patience = 10,
        double threshold = 1e-4, string threshold_mode = "rel", long cooldown = 0, double eps = 1e-8)
    {
        if (factor >= 1) throw new ArgumentException("Factor should be < 1.0.");
        if (mode is not ("min" or "max")) throw new ArgumentException($"mode {mode} is unknown!");
        if (threshold_mode is not ("rel" or "abs")) throw new ArgumentException($"threshold mode {threshold_mode} is unknown!");
        if (min_lrs.Length != optimizer.param_groups.Count)
            throw new ArgumentException($"expected {optimizer.param_groups.Count} min_lrs, got {min_lrs.Length}");
        this.optimizer = optimizer;
        this.mode = mode;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.threshold_mode = threshold_mode;
        this.cooldown = cooldown;
        this.min_lrs = min_lrs;
        this.eps = eps;
        best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public bool in_cooldown => cooldown_counter > 0;

    public bool is_better(double a, double best) => (mode, threshold_mode) switch
    {
        ("min", "rel") => a < best * (1 - threshold),
        ("min", _) => a < best - threshold,
        (_, "rel") => a > best * (threshold + 1),
        _ => a > best + threshold,
    };

    /// <summary>Records one epoch's metric and lowers the learning rates if it has plateaued.</summary>
    public void step(double metric)
    {
        last_epoch++;
        if (is_better(metric, best))
        {
            best = metric;
            num_bad_epochs = 0;
        }
        else num_bad_epochs++;

        if (in_cooldown)
        {
            cooldown_counter--;
            num_bad_epochs = 0; // bad epochs during cooldown do not count
        }

        if (num_bad_epochs > patience)
        {
            ReduceLr();
            cooldown_counter = cooldown;
            num_bad_epochs = 0;
        }
    }

    private void ReduceLr()
    {
        for (int k = 0; k < optimizer.param_groups.Count; k++)
        {
            var g = optimizer.param_groups[k];
            double old = g.lr, next = Math.Max(old * factor, min_lrs[k]);
            // Changes smaller than eps are ignored, as in PyTorch.
            if (old - next > eps) g.lr = next;
        }
    }

    public IReadOnlyList<double> get_last_lr() => optimizer.param_groups.Select(g => g.lr).ToArray();
}
