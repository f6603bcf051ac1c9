namespace TTL.Torch.Modules;

/// <summary>Returned by hook registration: <see cref="remove"/> (or Dispose) unregisters the hook.</summary>
public sealed class RemovableHandle : IDisposable
{
    private Action? _remove;

    internal RemovableHandle(Action remove) => _remove = remove;

    public void remove()
    {
        _remove?.Invoke();
        _remove = null;
    }

    public void Dispose() => remove();
}
