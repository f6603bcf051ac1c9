namespace TTL.Torch.Optim;

/// <summary>
/// Parameters that share hyper-parameters (torch.optim's param_groups entry). Options use
/// PyTorch's keys ("lr", "weight_decay", "momentum", "betas", …); those a group does not set are
/// filled from the optimizer's defaults when the group is added. Values are double, bool, or
/// (double, double) for "betas".
/// </summary>
public sealed class ParamGroup
{
    public List<Tensor> Params { get; }
    public Dictionary<string, object> Options { get; }

    public ParamGroup(IEnumerable<Tensor> parameters, Dictionary<string, object> options)
    {
        Params = parameters.ToList();
        Options = new(options);
    }

    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weight_decay = null)
        : this(parameters, new Dictionary<string, object>())
    {
        if (lr is not null) Options["lr"] = lr.Value;
        if (weight_decay is not null) Options["weight_decay"] = weight_decay.Value;
    }

    public object this[string key]
    {
        get => Options.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"param group has no option '{key}'");
        set => Options[key] = value;
    }

    public double lr
    {
        get => Get<double>("lr");
        set => Options["lr"] = value;
    }

    /// <summary>The learning rate schedulers start from (set by the first scheduler, as PyTorch's "initial_lr").</summary>
    public double? initial_lr
    {
        get => Options.TryGetValue("initial_lr", out var v) ? Convert.ToDouble(v) : null;
        set { if (value is null) Options.Remove("initial_lr"); else Options["initial_lr"] = value.Value; }
    }

    public T Get<T>(string key)
    {
        var v = this[key];
        if (v is T t) return t;
        if (typeof(T) == typeof(double) && v is IConvertible) return (T)(object)Convert.ToDouble(v);
        throw new InvalidCastException($"param group option '{key}' is a {v.GetType().Name}, expected {typeof(T).Name}");
    }
}
