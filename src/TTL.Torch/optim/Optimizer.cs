namespace TTL.Torch.Optim;

/// <summary>
/// The base of the optimizers (torch.optim.Optimizer): parameter groups with their own
/// hyper-parameters, per-parameter state, zero_grad, and a state dict for exact resume.
/// Subclasses implement the update of one parameter; <see cref="step"/> runs it without
/// recording gradients, in place, disposing its temporaries at once.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);

    /// <summary>The hyper-parameters a group gets when it does not set them.</summary>
    public IReadOnlyDictionary<string, object> defaults { get; }

    public List<ParamGroup> param_groups { get; } = new();

    protected Optimizer(IEnumerable<ParamGroup> groups, Dictionary<string, object> defaults)
    {
        this.defaults = defaults;
        foreach (var g in groups) add_param_group(g);
        if (param_groups.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
    }

    /// <summary>Whether this optimizer counts steps per parameter (Adam: yes, for bias correction; SGD: no).</summary>
    protected abstract bool CountsSteps { get; }

    /// <summary>Adds a group; options it lacks come from <see cref="defaults"/>.</summary>
    public void add_param_group(ParamGroup group)
    {
        if (group.Params.Count == 0) throw new ArgumentException("optimizer got an empty parameter group");
        var seen = new HashSet<Tensor>(param_groups.SelectMany(g => g.Params), ReferenceEqualityComparer.Instance);
        foreach (var p in group.Params)
        {
            if (!p.is_leaf) throw new ArgumentException("can't optimize a non-leaf Tensor");
            if (!seen.Add(p)) throw new ArgumentException("some parameters appear in more than one parameter group");
        }
        foreach (var (key, value) in defaults) group.Options.TryAdd(key, value);
        Validate(group);
        param_groups.Add(group);
    }

    /// <summary>Checks a group's hyper-parameters (ranges, combinations) when it is added.</summary>
    protected virtual void Validate(ParamGroup group)
    {
        if (group.lr < 0) throw new ArgumentException($"Invalid learning rate: {group.lr}");
    }

    /// <summary>
    /// Clears the gradients of every parameter. set_to_none = true (the default, as in PyTorch
    /// ≥ 2.0; PyTorch 1.13 defaulted to false) frees them; false zeroes them in place.
    /// </summary>
    public void zero_grad(bool set_to_none = true)
    {
        foreach (var g in param_groups)
            foreach (var p in g.Params)
            {
                if (set_to_none) { p.grad = null; continue; }
                using var grad = p.grad;
                grad?.zero_();
            }
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void step()
    {
        using var noGrad = torch.no_grad();
        foreach (var g in param_groups)
            foreach (var p in g.Params)
            {
                using var grad = p.grad;
                if (grad is null) continue;
                if (!_state.TryGetValue(p, out var st)) _state[p] = st = new ParamState();
                if (CountsSteps) st.step++;
                Update(g, p, grad, st);
            }
    }

    /// <summary>One parameter's update, called without gradient recording, after its step count advanced.</summary>
    private protected abstract void Update(ParamGroup group, Tensor param, Tensor grad, ParamState state);

    // ---- state dict -------------------------------------------------------------------------

    /// <summary>A copy of the state and hyper-parameters (see <see cref="OptimizerStateDict"/>).</summary>
    public OptimizerStateDict state_dict()
    {
        var sd = new OptimizerStateDict();
        int index = 0;
        foreach (var g in param_groups)
        {
            var indices = new List<int>();
            foreach (var p in g.Params)
            {
                if (_state.TryGetValue(p, out var st))
                {
                    var entry = new Dictionary<string, Tensor>();
                    if (CountsSteps) entry["step"] = torch.scalar_tensor(st.step).DetachFromDisposeScope();
                    foreach (var (key, t) in st.tensors) entry[key] = t.clone().DetachFromDisposeScope();
                    sd.state[index] = entry;
                }
                indices.Add(index++);
            }
            var options = new Dictionary<string, object>(g.Options) { ["params"] = indices.ToArray() };
            sd.param_groups.Add(options);
        }
        return sd;
    }

    /// <summary>
    /// Restores state and hyper-parameters saved by <see cref="state_dict"/> for the same parameter
    /// layout. State tensors are copied onto each parameter's device (floating ones in its dtype).
    /// </summary>
    public void load_state_dict(OptimizerStateDict sd)
    {
        if (sd.param_groups.Count != param_groups.Count)
            throw new ArgumentException($"loaded state dict has {sd.param_groups.Count} parameter groups, the optimizer has {param_groups.Count}");
        var flat = new List<Tensor>();
        for (int k = 0; k < param_groups.Count; k++)
        {
            var saved = sd.param_groups[k];
            int n = saved.TryGetValue("params", out var ps) && ps is int[] idx ? idx.Length : -1;
            if (n != param_groups[k].Params.Count)
                throw new ArgumentException($"loaded state dict contains a parameter group that doesn't match the size of optimizer's group {k}");
            flat.AddRange(param_groups[k].Params);
        }
        foreach (var index in sd.state.Keys)
            if (index < 0 || index >= flat.Count) throw new ArgumentException($"loaded state dict has state for parameter {index}, the optimizer has {flat.Count}");

        for (int k = 0; k < param_groups.Count; k++)
            foreach (var (key, value) in sd.param_groups[k])
                if (key != "params") param_groups[k].Options[key] = value;
        foreach (var st in _state.Values) st.Dispose();
        _state.Clear();
        using var noGrad = torch.no_grad();
        foreach (var (index, entries) in sd.state)
        {
            var p = flat[index];
            var st = new ParamState();
            foreach (var (key, t) in entries)
            {
                if (key == "step") { st.step = (long)t.item<double>(); continue; }
                using var moved = t.dtype.IsFloatingPoint() ? t.to(p.device, p.dtype) : t.to(p.device);
                st.Set(key, moved.clone());
            }
            _state[p] = st;
        }
    }

    public void Dispose()
    {
        foreach (var st in _state.Values) st.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }
}
