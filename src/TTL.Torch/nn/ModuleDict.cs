using System.Collections;

namespace TTL.Torch.Modules;

/// <summary>Holds modules by name, in insertion order (torch.nn.ModuleDict).</summary>
public sealed class ModuleDict<T> : Module, IEnumerable<KeyValuePair<string, T>> where T : Module
{
    private readonly OrderedDictionary<string, T> _items = new();

    public ModuleDict(IEnumerable<(string name, T module)>? modules = null)
    {
        if (modules is null) return;
        foreach (var (name, m) in modules) this[name] = m;
    }

    public T this[string key]
    {
        get => _items[key];
        set
        {
            register_module(key, value);
            _items[key] = value;
        }
    }

    public int Count => _items.Count;

    public IEnumerable<string> keys() => _items.Keys;

    public IEnumerable<T> values() => _items.Values;

    public bool ContainsKey(string key) => _items.ContainsKey(key);

    public override string GetName() => "ModuleDict";

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
