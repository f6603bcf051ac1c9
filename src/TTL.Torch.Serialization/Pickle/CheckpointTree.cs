namespace TTL.Torch.Serialization.Pickle;

/// <summary>
/// Turns the object a checkpoint pickle rebuilt into dotted names. Dict keys become name segments
/// (`state_dict.module.conv1.weight`); lists and tuples that hold tensors are numbered
/// (`optimizer.state.0.momentum_buffer`); everything else under a name is a plain value (`epoch` → 12,
/// `optimizer.param_groups` → a list of dicts). A tensor saved on its own is named "tensor", a plain
/// value on its own "value". The walk is bounded in depth and in visits, so cyclic or
/// exponentially shared structures are refused instead of exhausting the stack or the clock.
/// </summary>
internal sealed class CheckpointTree(string file)
{
    public const int MaxDepth = 100;
    public const int MaxVisits = 1 << 22;

    private int _visits;

    public List<(string Name, TorchTensor Tensor)> Tensors { get; } = [];

    public Dictionary<string, object?> Values { get; } = [];

    private readonly HashSet<string> _names = [];

    public static CheckpointTree Flatten(object? root, string file)
    {
        var tree = new CheckpointTree(file);
        tree.Walk("", root, 0);
        return tree;
    }

    private void Walk(string path, object? v, int depth)
    {
        Visit(depth);
        switch (v)
        {
            case PyDict d:
                if (d.Count == 0) { Add(path, ToValue(v, depth)); return; }
                foreach (var (k, item) in d.Items) Walk(Join(path, PyRepr.KeySegment(k)), item, depth + 1);
                return;
            case PyList or PyTuple when ContainsTensor(v, depth):
            {
                var items = v is PyList l ? l.Items : [.. ((PyTuple)v).Items];
                for (int k = 0; k < items.Count; k++) Walk(Join(path, k.ToString(System.Globalization.CultureInfo.InvariantCulture)), items[k], depth + 1);
                return;
            }
            case TorchTensor t:
                Claim(path.Length == 0 ? "tensor" : path);
                Tensors.Add((path.Length == 0 ? "tensor" : path, t));
                return;
            default:
                Add(path, ToValue(v, depth));
                return;
        }
    }

    private void Add(string path, object? value)
    {
        string name = path.Length == 0 ? "value" : path;
        Claim(name);
        Values[name] = value;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidDataException($"{file}: two entries are both named '{name}'");
    }

    private bool ContainsTensor(object? v, int depth)
    {
        Visit(depth);
        return v switch
        {
            TorchTensor => true,
            PyList l => l.Items.Any(x => ContainsTensor(x, depth + 1)),
            PyTuple t => t.Items.Any(x => ContainsTensor(x, depth + 1)),
            PyDict d => d.Items.Any(kv => ContainsTensor(kv.Value, depth + 1)),
            _ => false,
        };
    }

    /// <summary>A plain value as CLR objects: lists/tuples/sets become lists, dicts string-keyed dictionaries.</summary>
    private object? ToValue(object? v, int depth)
    {
        Visit(depth);
        return v switch
        {
            PyList l => l.Items.Select(x => ToValue(x, depth + 1)).ToList(),
            PyTuple t => t.Items.Select(x => ToValue(x, depth + 1)).ToList(),
            PySet s => s.Items.Select(x => ToValue(x, depth + 1)).ToList(),
            PyDict d => ToDictionary(d, depth),
            PyGlobal g => g.ToString(),
            TorchStorage => throw new InvalidDataException($"{file}: a bare storage outside a tensor is not supported"),
            _ => v,
        };
    }

    private Dictionary<string, object?> ToDictionary(PyDict d, int depth)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (k, item) in d.Items) result[PyRepr.KeySegment(k)] = ToValue(item, depth + 1);
        return result;
    }

    private void Visit(int depth)
    {
        if (depth > MaxDepth) throw new InvalidDataException($"{file}: objects nested deeper than {MaxDepth} levels (or a cycle)");
        if (++_visits > MaxVisits) throw new InvalidDataException($"{file}: object graph larger than {MaxVisits} visits");
    }

    private static string Join(string path, string segment) => path.Length == 0 ? segment : path + "." + segment;
}
