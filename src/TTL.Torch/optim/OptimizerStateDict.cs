namespace TTL.Torch.Optim;

/// <summary>
/// An optimizer's resumable state, laid out like PyTorch's <c>optimizer.state_dict()</c>:
/// <c>state</c> maps a parameter's index (counted across groups in order) to its named state
/// tensors ("step" as a float32 scalar, "momentum_buffer", "exp_avg", …), and
/// <c>param_groups</c> holds each group's hyper-parameters plus "params", the indices it owns.
/// The tensors are copies owned by this object.
/// </summary>
public sealed class OptimizerStateDict : IDisposable
{
    public SortedDictionary<int, Dictionary<string, Tensor>> state { get; } = new();
    public List<Dictionary<string, object>> param_groups { get; } = new();

    /// <summary>The state tensors as flat names "state.{index}.{key}", e.g. for a safetensors file.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> named_tensors()
    {
        foreach (var (index, entries) in state)
            foreach (var (key, t) in entries)
                yield return new($"state.{index}.{key}", t);
    }

    public void Dispose()
    {
        foreach (var entries in state.Values)
            foreach (var t in entries.Values) t.Dispose();
        state.Clear();
    }
}
