namespace TTL.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost open scope and
/// disposes them when the scope ends, except those moved out with <see cref="MoveToOuter"/> or
/// detached with <see cref="Tensor.DetachFromDisposeScope"/>. A training step written inside
/// <c>using (torch.NewDisposeScope())</c> needs no <c>using</c> per intermediate result.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;

    /// <summary>Tensors the scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor t) => _tensors.Add(t);

    internal bool Remove(Tensor t) => _tensors.Remove(t);

    /// <summary>Keeps a tensor alive past this scope: it moves to the enclosing scope, or to none.</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        if (_tensors.Remove(tensor))
        {
            tensor.Scope = _outer;
            _outer?.Add(tensor);
        }
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
        // Scopes nest strictly on one thread; closing an outer one first closes the chain.
        if (_current == this) _current = _outer;
    }
}
