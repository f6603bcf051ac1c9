using System.Text;

namespace TTL.Torch.Modules;

/// <summary>
/// The base of every layer and network, as torch.nn.Module: it holds named parameters, buffers
/// and child modules, and derives from them PyTorch's dotted names (<c>layer1.0.conv1.weight</c>),
/// the state dict, train/eval mode, device moves, freezing and forward hooks.
/// Registration is explicit (<see cref="register_parameter"/>, <see cref="register_buffer"/>,
/// <see cref="register_module"/>), in the order PyTorch's <c>__init__</c> assigns attributes, so
/// names and state-dict order come out exactly as PyTorch's.
/// The module owns the tensors registered with it: they are taken out of dispose scopes (they must
/// outlive training-step scopes) and released by <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly OrderedDictionary<string, Tensor?> _parameters = new();
    private readonly OrderedDictionary<string, Tensor?> _buffers = new();
    private readonly HashSet<string> _nonPersistentBuffers = new();
    private readonly OrderedDictionary<string, Module?> _modules = new();
    private readonly List<ForwardHook> _forwardHooks = new();
    private long _nextHookId;
    private bool _disposed;

    private sealed record ForwardHook(long Id, Func<Module, object?, object?, object?> Fn);

    /// <summary>True in training mode (the default), false after <see cref="eval"/>.</summary>
    public bool training { get; private set; } = true;

    /// <summary>The name shown by ToString (PyTorch's <c>_get_name()</c>): the class name.</summary>
    public virtual string GetName() => GetType().Name;

    // ---- registration -----------------------------------------------------------------------

    /// <summary>
    /// Adds (or replaces) a parameter. A null parameter is allowed (like <c>bias=None</c>): it keeps
    /// its slot but appears in no listing. A replaced tensor is disposed.
    /// </summary>
    public void register_parameter(string name, Tensor? param, bool requires_grad = true)
    {
        CheckName(name, _parameters);
        if (param is not null)
        {
            if (!param.is_leaf) throw new ArgumentException($"parameter '{name}' must be a leaf tensor (detach it first)");
            param.DetachFromDisposeScope();
            if (param.dtype.IsFloatingPoint() && param.requires_grad != requires_grad) param.requires_grad = requires_grad;
        }
        Replace(_parameters, name, param);
    }

    /// <summary>Adds (or replaces) a buffer; non-persistent buffers are left out of the state dict.</summary>
    public void register_buffer(string name, Tensor? tensor, bool persistent = true)
    {
        CheckName(name, _buffers);
        tensor?.DetachFromDisposeScope();
        Replace(_buffers, name, tensor);
        if (persistent) _nonPersistentBuffers.Remove(name);
        else _nonPersistentBuffers.Add(name);
    }

    /// <summary>Adds (or replaces) a child module; its names are prefixed with <paramref name="name"/>.</summary>
    public void register_module(string name, Module? module)
    {
        CheckName(name, _modules);
        _modules[name] = module;
    }

    private void CheckName<T>(string name, OrderedDictionary<string, T> own)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("a registered name cannot be empty");
        if (name.Contains('.')) throw new ArgumentException($"registered name '{name}' cannot contain '.'");
        bool elsewhere = (!ReferenceEquals(own, _parameters) && _parameters.ContainsKey(name))
            || (!ReferenceEquals(own, _buffers) && _buffers.ContainsKey(name))
            || (!ReferenceEquals(own, _modules) && _modules.ContainsKey(name));
        if (elsewhere) throw new ArgumentException($"'{name}' is already registered on {GetName()} as another kind of member");
    }

    private static void Replace(OrderedDictionary<string, Tensor?> map, string name, Tensor? value)
    {
        if (map.TryGetValue(name, out var old) && old is not null && !ReferenceEquals(old, value)) old.Dispose();
        map[name] = value;
    }

    /// <summary>This module's own parameter (not a child's), or null.</summary>
    protected Tensor? GetParameter(string name) => _parameters.TryGetValue(name, out var t) ? t : null;

    protected Tensor? GetBuffer(string name) => _buffers.TryGetValue(name, out var t) ? t : null;

    protected Module? GetModule(string name) => _modules.TryGetValue(name, out var m) ? m : null;

    /// <summary>The module at a dotted path (<c>layer1.0</c>); "" is this module.</summary>
    public Module get_submodule(string target)
    {
        Module m = this;
        if (target.Length == 0) return m;
        foreach (var part in target.Split('.'))
            m = m._modules.TryGetValue(part, out var c) && c is not null
                ? c
                : throw new KeyNotFoundException($"{m.GetName()} has no submodule '{part}' (in '{target}')");
        return m;
    }

    /// <summary>The parameter at a dotted path (<c>layer1.0.conv1.weight</c>).</summary>
    public Tensor get_parameter(string target)
    {
        var (owner, name) = SplitTarget(target);
        return owner._parameters.TryGetValue(name, out var t) && t is not null
            ? t : throw new KeyNotFoundException($"no parameter '{target}'");
    }

    /// <summary>The buffer at a dotted path (<c>bn1.running_mean</c>).</summary>
    public Tensor get_buffer(string target)
    {
        var (owner, name) = SplitTarget(target);
        return owner._buffers.TryGetValue(name, out var t) && t is not null
            ? t : throw new KeyNotFoundException($"no buffer '{target}'");
    }

    private (Module, string) SplitTarget(string target)
    {
        int dot = target.LastIndexOf('.');
        return dot < 0 ? (this, target) : (get_submodule(target[..dot]), target[(dot + 1)..]);
    }

    // ---- listings ---------------------------------------------------------------------------

    /// <summary>Every module of the tree, this one first (name ""), each once, depth first.</summary>
    public IEnumerable<(string name, Module module)> named_modules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var result = new List<(string, Module)>();
        CollectModules(seen, "", result);
        return result;
    }

    private void CollectModules(HashSet<Module> seen, string prefix, List<(string, Module)> into)
    {
        if (!seen.Add(this)) return;
        into.Add((prefix, this));
        foreach (var (name, child) in _modules)
            child?.CollectModules(seen, Join(prefix, name), into);
    }

    public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

    /// <summary>The direct children (registered, non-null), each once.</summary>
    public IEnumerable<(string name, Module module)> named_children()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (name, child) in _modules)
            if (child is not null && seen.Add(child)) yield return (name, child);
    }

    public IEnumerable<Module> children() => named_children().Select(c => c.module);

    /// <summary>Parameters with their dotted names; a tensor shared by two modules is listed once.</summary>
    public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true) =>
        NamedTensors(m => m._parameters, recurse);

    public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

    /// <summary>Buffers (persistent or not) with their dotted names.</summary>
    public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true) =>
        NamedTensors(m => m._buffers, recurse);

    public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

    private List<(string, Tensor)> NamedTensors(Func<Module, OrderedDictionary<string, Tensor?>> members, bool recurse)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var result = new List<(string, Tensor)>();
        var owners = recurse ? named_modules() : [("", this)];
        foreach (var (prefix, m) in owners)
            foreach (var (name, t) in members(m))
                if (t is not null && seen.Add(t)) result.Add((Join(prefix, name), t));
        return result;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- modes, freezing, devices -----------------------------------------------------------

    /// <summary>Sets training mode on this module and every descendant.</summary>
    public Module train(bool mode = true)
    {
        training = mode;
        foreach (var child in children()) child.train(mode);
        return this;
    }

    public Module eval() => train(false);

    /// <summary>Turns gradients on or off for every parameter of the tree (freezing when false).</summary>
    public Module requires_grad_(bool requires_grad = true)
    {
        foreach (var p in parameters()) p.requires_grad = requires_grad;
        return this;
    }

    /// <summary>Calls <paramref name="fn"/> on every child (recursively), then on this module.</summary>
    public Module apply(Action<Module> fn)
    {
        foreach (var child in children()) child.apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Clears (set_to_none, the default as in PyTorch ≥ 2.0) or zeroes every parameter's gradient.</summary>
    public void zero_grad(bool set_to_none = true)
    {
        foreach (var p in parameters())
        {
            if (set_to_none) { p.grad = null; continue; }
            using var g = p.grad;
            g?.zero_();
        }
    }

    /// <summary>
    /// Moves every parameter and buffer to <paramref name="device"/>. The tensor objects stay the
    /// same (their data is replaced), so references held elsewhere follow; still, as in PyTorch,
    /// move the model before creating its optimizer so that optimizer state is created there too.
    /// </summary>
    public Module to(Device device) => ApplyToTensors(t => t.to(device));

    /// <summary>Converts floating-point parameters and buffers to <paramref name="dtype"/> (integer buffers such as num_batches_tracked keep theirs).</summary>
    public Module to(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"Module.to only accepts floating-point dtypes, got {dtype.Name()}");
        return ApplyToTensors(t => t.dtype.IsFloatingPoint() ? t.to(dtype) : null);
    }

    public Module to(Device device, DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"Module.to only accepts floating-point dtypes, got {dtype.Name()}");
        return ApplyToTensors(t => t.dtype.IsFloatingPoint() ? t.to(device, dtype) : t.to(device));
    }

    private Module ApplyToTensors(Func<Tensor, Tensor?> convert)
    {
        using var noGrad = torch.no_grad();
        foreach (var t in parameters().Concat(buffers()))
        {
            using var converted = convert(t);
            if (converted is null) continue;
            using var grad = t.grad;
            using var newGrad = grad is null ? null : convert(grad) ?? grad.alias();
            if (grad is not null) t.grad = null;
            t.set_data(converted);
            if (newGrad is not null) t.grad = newGrad;
        }
        return this;
    }

    // ---- hooks ------------------------------------------------------------------------------

    /// <summary>
    /// Registers <c>hook(module, input, output)</c>, called after every <c>call</c> of this module;
    /// a non-null result replaces the output. For modules whose input and output are tensors.
    /// </summary>
    public RemovableHandle register_forward_hook(Func<Module, Tensor, Tensor, Tensor?> hook) =>
        register_forward_hook((Func<Module, object?, object?, object?>)((m, input, output) =>
            input is Tensor i && output is Tensor o
                ? hook(m, i, o)
                : throw new InvalidOperationException($"a tensor forward hook is registered on {m.GetName()}, whose input or output is not a tensor")));

    /// <summary>A forward hook for modules of any input and output type.</summary>
    public RemovableHandle register_forward_hook(Func<Module, object?, object?, object?> hook)
    {
        long id = _nextHookId++;
        _forwardHooks.Add(new ForwardHook(id, hook));
        return new RemovableHandle(() => _forwardHooks.RemoveAll(h => h.Id == id));
    }

    /// <summary>Runs the forward hooks on a finished forward pass; returns the (possibly replaced) output.</summary>
    protected TOut RunForwardHooks<TIn, TOut>(TIn input, TOut output)
    {
        if (_forwardHooks.Count == 0) return output;
        // A hook may remove itself (or others) while running: iterate over a copy.
        foreach (var h in _forwardHooks.ToArray())
            if (h.Fn(this, input, output) is { } replaced) output = (TOut)replaced;
        return output;
    }

    // ---- state dict -------------------------------------------------------------------------

    /// <summary>
    /// Parameters and persistent buffers by dotted name, in PyTorch's order (per module: its
    /// parameters, then its buffers, then its children). The tensors are detached views sharing
    /// storage with the module's (as in PyTorch); the caller disposes them (or its scope does).
    /// </summary>
    public OrderedDictionary<string, Tensor> state_dict()
    {
        var result = new OrderedDictionary<string, Tensor>();
        SaveTo(result, "");
        return result;
    }

    private void SaveTo(OrderedDictionary<string, Tensor> into, string prefix)
    {
        foreach (var (name, t) in StateEntries()) into[prefix + name] = t.detach();
        foreach (var (name, child) in _modules) child?.SaveTo(into, prefix + name + ".");
    }

    private IEnumerable<(string, Tensor)> StateEntries()
    {
        foreach (var (name, p) in _parameters) if (p is not null) yield return (name, p);
        foreach (var (name, b) in _buffers) if (b is not null && !_nonPersistentBuffers.Contains(name)) yield return (name, b);
    }

    /// <summary>
    /// Copies tensors from <paramref name="state"/> into the parameters and persistent buffers of
    /// the same names. The result lists missing keys, unexpected keys and shape mismatches. When
    /// <paramref name="strict"/> (the default), any of those throws <see cref="StateDictException"/>
    /// and nothing is copied; otherwise the matching tensors are copied and the rest is reported
    /// (PyTorch raises on shape mismatches even when not strict; here they are skipped, which is
    /// what loading a pretrained body under a new head needs).
    /// </summary>
    public LoadStateDictResult load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        var expected = new HashSet<string>();
        var copies = new List<(Tensor target, Tensor source)>();
        var defaults = new List<(Module owner, string name)>();
        CollectLoad(state, "", missing, mismatched, expected, copies, defaults);
        var unexpected = state.Keys.Where(k => !expected.Contains(k)).ToList();
        var result = new LoadStateDictResult(missing, unexpected, mismatched);
        if (strict && !result.IsClean) throw new StateDictException(GetName(), result);
        using (torch.no_grad())
        {
            foreach (var (target, source) in copies) target.copy_(source);
            foreach (var (owner, name) in defaults) owner.ResetMissingState(name);
        }
        return result;
    }

    /// <summary>Loads a state dict from a safetensors file (see the other overload).</summary>
    public LoadStateDictResult load_state_dict(string safetensorsPath, bool strict = true)
    {
        var tensors = TensorRecords.LoadSafetensors(safetensorsPath);
        try { return load_state_dict(tensors, strict); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    private void CollectLoad(IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> missing,
        List<ShapeMismatch> mismatched, HashSet<string> expected, List<(Tensor, Tensor)> copies, List<(Module, string)> defaults)
    {
        foreach (var (name, t) in StateEntries())
        {
            string key = prefix + name;
            expected.Add(key);
            if (!state.TryGetValue(key, out var source))
            {
                if (AcceptsMissingState(name)) defaults.Add((this, name));
                else missing.Add(key);
                continue;
            }
            var have = t.shape;
            var got = source.shape;
            if (!have.AsSpan().SequenceEqual(got)) mismatched.Add(new ShapeMismatch(key, got, have));
            else copies.Add((t, source));
        }
        foreach (var (name, child) in _modules)
            child?.CollectLoad(state, prefix + name + ".", missing, mismatched, expected, copies, defaults);
    }

    /// <summary>
    /// Whether a state entry of this module may be absent from a loaded state dict (then
    /// <see cref="ResetMissingState"/> sets it). PyTorch does this for BatchNorm's
    /// num_batches_tracked, which checkpoints older than PyTorch 0.4.1 (MedicalNet's) lack.
    /// </summary>
    protected virtual bool AcceptsMissingState(string name) => false;

    protected virtual void ResetMissingState(string name) { }

    // ---- printing ---------------------------------------------------------------------------

    /// <summary>The layer's settings as PyTorch's <c>extra_repr</c> prints them ("" for none).</summary>
    public virtual string extra_repr() => "";

    /// <summary>The module tree as PyTorch prints it.</summary>
    public override string ToString()
    {
        var extra = extra_repr();
        var extraLines = extra.Length == 0 ? [] : extra.Split('\n');
        var childLines = _modules.Select(kv => $"({kv.Key}): {Indent(kv.Value?.ToString() ?? "None")}").ToList();
        var sb = new StringBuilder(GetName()).Append('(');
        if (extraLines.Length == 1 && childLines.Count == 0) sb.Append(extraLines[0]);
        else if (extraLines.Length + childLines.Count > 0)
            sb.Append("\n  ").Append(string.Join("\n  ", extraLines.Concat(childLines))).Append('\n');
        return sb.Append(')').ToString();
    }

    private static string Indent(string s) => s.Replace("\n", "\n  ");

    // ---- lifetime ---------------------------------------------------------------------------

    /// <summary>Releases every parameter and buffer of this module and of its descendants.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(true);
        foreach (var t in _parameters.Values) t?.Dispose();
        foreach (var t in _buffers.Values) t?.Dispose();
        foreach (var m in _modules.Values) m?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>For subclasses holding other disposable state.</summary>
    protected virtual void Dispose(bool disposing) { }
}
