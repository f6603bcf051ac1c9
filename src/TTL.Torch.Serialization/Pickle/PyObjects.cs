using System.Globalization;
using System.Numerics;

namespace TTL.Torch.Serialization.Pickle;

// How unpickled Python values look in C#:
//   None → null, bool → bool, int → long (BigInteger when it does not fit), float → double,
//   str → string, bytes → byte[], list → PyList, tuple → PyTuple, dict/OrderedDict → PyDict,
//   set/frozenset → PySet, a module-level name → PyGlobal. Nothing else can be produced: the
//   host (TorchPickleHost) decides which globals exist and what calling them yields.

/// <summary>A module-level name a pickle referred to, already checked against the allowlist.</summary>
public sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => Module + "." + Name;
}

public sealed class PyList(List<object?> items)
{
    public List<object?> Items { get; } = items;
}

public sealed class PyTuple(object?[] items)
{
    public static readonly PyTuple Empty = new([]);
    public object?[] Items { get; } = items;
}

public sealed class PySet(List<object?> items)
{
    public List<object?> Items { get; } = items;
}

/// <summary>
/// An insertion-ordered dict. Keys that are str or int are de-duplicated as Python would (a later
/// assignment replaces the value in place); other keys are kept as they come.
/// </summary>
public sealed class PyDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    public int Count => _items.Count;

    public void Set(object? key, object? value)
    {
        object? indexKey = key switch
        {
            string or long => key,
            bool b => b ? 1L : 0L,
            _ => null,
        };
        if (indexKey is not null)
        {
            if (_index.TryGetValue(indexKey, out int at))
            {
                _items[at] = new(_items[at].Key, value);
                return;
            }
            _index[indexKey] = _items.Count;
        }
        _items.Add(new(key, value));
    }
}

public static class PyRepr
{
    /// <summary>How a dict key reads as one segment of a dotted name: `state_dict`, `0`, `True`.</summary>
    public static string KeySegment(object? key) => key switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        long n => n.ToString(CultureInfo.InvariantCulture),
        BigInteger n => n.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        PyTuple t => "(" + string.Join(", ", t.Items.Select(KeySegment)) + (t.Items.Length == 1 ? ",)" : ")"),
        PyGlobal g => g.ToString(),
        _ => key.GetType().Name,
    };

    /// <summary>A short name of a value's Python type, for error messages.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PyList => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        PySet => "set",
        PyGlobal g => g.ToString(),
        _ => v.GetType().Name,
    };
}
