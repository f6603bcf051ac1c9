using System.Collections;

namespace TTL.Torch.Modules;

/// <summary>
/// Runs its children in order (torch.nn.Sequential); they are named "0", "1", … so a checkpoint's
/// <c>features.3.weight</c> finds the fourth layer. Intermediate results are disposed as soon as
/// the next layer has consumed them.
/// </summary>
public sealed class Sequential : Module<Tensor, Tensor>, IEnumerable<Module<Tensor, Tensor>>
{
    private readonly List<Module<Tensor, Tensor>> _layers = new();

    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        foreach (var layer in layers) append(layer);
    }

    /// <summary>Named children, as PyTorch's <c>Sequential(OrderedDict(...))</c>.</summary>
    public Sequential(IEnumerable<(string name, Module<Tensor, Tensor> module)> layers)
    {
        foreach (var (name, layer) in layers)
        {
            register_module(name, layer);
            _layers.Add(layer);
        }
    }

    public Sequential append(Module<Tensor, Tensor> layer)
    {
        register_module(_layers.Count.ToString(), layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;

    public Module<Tensor, Tensor> this[int index] => _layers[index < 0 ? index + _layers.Count : index];

    public override Tensor forward(Tensor input)
    {
        if (_layers.Count == 0) return input.alias();
        var x = _layers[0].call(input);
        for (int k = 1; k < _layers.Count; k++)
        {
            var next = _layers[k].call(x);
            // A layer may hand back its input object; only a replaced intermediate is released.
            if (!ReferenceEquals(next, x)) x.Dispose();
            x = next;
        }
        return x;
    }

    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
