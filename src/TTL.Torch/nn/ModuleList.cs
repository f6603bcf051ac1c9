using System.Collections;

namespace TTL.Torch.Modules;

/// <summary>Holds modules by index, registered as "0", "1", … (torch.nn.ModuleList); the owner decides how to call them.</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(params T[] modules) => extend(modules);

    public ModuleList<T> append(T module)
    {
        register_module(_items.Count.ToString(), module);
        _items.Add(module);
        return this;
    }

    public ModuleList<T> extend(IEnumerable<T> modules)
    {
        foreach (var m in modules) append(m);
        return this;
    }

    public int Count => _items.Count;

    public T this[int index] => _items[index < 0 ? index + _items.Count : index];

    public override string GetName() => "ModuleList";

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
