namespace TTL.Torch.Optim;

/// <summary>One parameter's optimizer state: the step count and the named state tensors, owned here.</summary>
internal sealed class ParamState : IDisposable
{
    public long step;
    public readonly Dictionary<string, Tensor> tensors = new();

    /// <summary>Stores a state tensor; it leaves any dispose scope, since it lives as long as the optimizer.</summary>
    public Tensor Set(string key, Tensor t)
    {
        if (tensors.TryGetValue(key, out var old) && !ReferenceEquals(old, t)) old.Dispose();
        tensors[key] = t.DetachFromDisposeScope();
        return t;
    }

    public Tensor? Get(string key) => tensors.TryGetValue(key, out var t) ? t : null;

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
