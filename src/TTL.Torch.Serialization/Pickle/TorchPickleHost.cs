namespace TTL.Torch.Serialization.Pickle;

/// <summary>
/// A storage as torch.save describes it: a key naming its bytes (a zip entry or a legacy record),
/// an element type and an element count. A legacy "view" storage is a window of a root storage.
/// </summary>
public sealed class TorchStorage(string key, DType dtype, long numel, TorchStorage? root = null, long rootOffset = 0)
{
    public string Key { get; } = key;
    public DType DType { get; } = dtype;
    public long Numel { get; } = numel;
    /// <summary>The storage holding the bytes (itself unless this is a legacy view).</summary>
    public TorchStorage Root => root ?? this;
    /// <summary>Where this storage starts inside Root, in elements.</summary>
    public long RootOffset { get; } = rootOffset;
}

/// <summary>A tensor as torch.save rebuilds it: a strided window of a storage, validated against it.</summary>
public sealed class TorchTensor
{
    public TorchStorage Storage { get; }
    /// <summary>First element, in elements from the start of Storage.</summary>
    public long Offset { get; }
    public long[] Size { get; }
    public long[] Stride { get; }
    public long Numel { get; }
    public DType DType => Storage.DType;

    public TorchTensor(TorchStorage storage, long offset, long[] size, long[] stride, Func<string, InvalidDataException> bad)
    {
        if (size.Length != stride.Length) throw bad($"tensor has {size.Length} sizes but {stride.Length} strides");
        if (offset < 0) throw bad($"tensor has a negative storage offset {offset}");
        long numel = 1, last = offset;
        try
        {
            for (int d = 0; d < size.Length; d++)
            {
                if (size[d] < 0 || stride[d] < 0) throw bad($"tensor has size {size[d]} / stride {stride[d]} in dimension {d}");
                numel = checked(numel * size[d]);
                if (size[d] > 0) last = checked(last + (size[d] - 1) * stride[d]);
            }
            checked { _ = numel * storage.DType.ElementSize(); }
        }
        catch (OverflowException) { throw bad($"tensor shape [{string.Join(", ", size)}] overflows"); }
        if (numel > 0 && last >= storage.Numel)
            throw bad($"tensor [{string.Join(", ", size)}] at offset {offset} with strides [{string.Join(", ", stride)}] reaches element {last} of a {storage.Numel}-element storage");
        long bytes = numel * storage.DType.ElementSize();
        // Views may repeat elements (stride 0); their dense copy must still stay reasonable.
        if (bytes > Array.MaxLength || (numel > storage.Numel && bytes > MaxExpandedBytes))
            throw bad($"tensor [{string.Join(", ", size)}] needs {bytes} bytes, more than its {storage.Numel}-element storage allows");
        Storage = storage;
        Offset = offset;
        Size = size;
        Stride = stride;
        Numel = numel;
    }

    /// <summary>Largest dense copy of a view that repeats elements of its storage.</summary>
    public const long MaxExpandedBytes = 1L << 30;
}

/// <summary>
/// The allowlist of torch.save pickles: containers, tensor and parameter rebuilds, storage types,
/// torch.Size and torch.device. Any other global is refused with
/// "refusing to load FILE: it references MODULE.NAME"; nothing is ever imported or run.
/// </summary>
public sealed class TorchPickleHost(string file, Func<string, DType, long, TorchStorage>? storages) : IPickleHost
{
    private static readonly Dictionary<string, DType> StorageTypes = new()
    {
        ["FloatStorage"] = DType.Float32,
        ["DoubleStorage"] = DType.Float64,
        ["HalfStorage"] = DType.Float16,
        ["BFloat16Storage"] = DType.BFloat16,
        ["LongStorage"] = DType.Int64,
        ["IntStorage"] = DType.Int32,
        ["ShortStorage"] = DType.Int16,
        ["CharStorage"] = DType.Int8,
        ["ByteStorage"] = DType.UInt8,
        ["BoolStorage"] = DType.Bool,
        ["UntypedStorage"] = DType.UInt8,
    };

    private static readonly HashSet<string> Allowed =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size",
        "torch.device",
        "builtins.set",
        "builtins.frozenset",
        // Protocol 2 has no bytes opcode: Python 3 pickles bytes as _codecs.encode(str, "latin1").
        "_codecs.encode",
    ];

    private readonly Dictionary<string, TorchStorage> _views = [];

    public PyGlobal ResolveGlobal(string module, string name)
    {
        string full = module + "." + name;
        if (Allowed.Contains(full) || (module == "torch" && StorageTypes.ContainsKey(name)))
            return new PyGlobal(module, name);
        throw new InvalidDataException($"refusing to load {file}: it references {full}");
    }

    public object? Call(PyGlobal f, PyTuple args)
    {
        var a = args.Items;
        switch (f.ToString())
        {
            case "collections.OrderedDict":
            {
                var d = new PyDict();
                if (a.Length == 0) return d;
                if (a.Length == 1)
                {
                    foreach (var pair in Sequence(a[0], "OrderedDict items"))
                    {
                        var kv = Sequence(pair, "OrderedDict item");
                        if (kv.Count != 2) throw Bad("OrderedDict item is not a pair");
                        d.Set(kv[0], kv[1]);
                    }
                    return d;
                }
                break;
            }
            case "builtins.set" or "builtins.frozenset":
                if (a.Length == 0) return new PySet([]);
                if (a.Length == 1) return new PySet([.. Sequence(a[0], f.Name)]);
                break;
            case "_codecs.encode":
                if (a.Length == 2 && a[0] is string s && a[1] is "latin1" or "latin-1")
                {
                    var bytes = new byte[s.Length];
                    for (int k = 0; k < s.Length; k++)
                        bytes[k] = s[k] <= 0xff ? (byte)s[k] : throw Bad("_codecs.encode of a non-latin-1 string");
                    return bytes;
                }
                break;
            case "torch.Size":
                if (a.Length == 0) return PyTuple.Empty;
                if (a.Length == 1) return new PyTuple(Longs(a[0], "torch.Size").Select(n => (object?)n).ToArray());
                break;
            case "torch.device":
                if (a.Length == 1 && a[0] is string dev) return dev;
                if (a.Length == 2 && a[0] is string type && a[1] is long index) return $"{type}:{index}";
                break;
            case "torch._utils._rebuild_tensor":
                if (a.Length == 4) return Rebuild(a);
                break;
            case "torch._utils._rebuild_tensor_v2":
                // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (a.Length is 6 or 7) return Rebuild(a);
                break;
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor here.
                if (a.Length is 3 or 4 && a[0] is TorchTensor t) return t;
                break;
        }
        throw Bad($"cannot call {f} with ({string.Join(", ", a.Select(PyRepr.TypeName))})");
    }

    public object? PersistentLoad(object? pid)
    {
        if (storages is null) throw Bad("unexpected persistent id outside the main pickle");
        // ('storage', storage_type, key, location, numel[, view_metadata])
        if (pid is not PyTuple { Items: var p } || p.Length is not (5 or 6) || p[0] is not "storage")
            throw Bad($"unsupported persistent id {PyRepr.TypeName(pid)}");
        if (p[1] is not PyGlobal type || type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw Bad($"persistent id names {PyRepr.TypeName(p[1])}, not a storage type");
        if (p[2] is not string key) throw Bad("storage key is not a string");
        if (p[3] is not string) throw Bad($"storage {key} has no location string");
        if (p[4] is not long numel || numel < 0) throw Bad($"storage {key} has an invalid size");
        var storage = storages(key, dtype, numel);
        if (p.Length == 5 || p[5] is null) return storage;

        // Legacy storage views: (view_key, offset, view_size) inside the root storage `key`.
        if (p[5] is not PyTuple { Items: [string viewKey, long offset, long viewSize] })
            throw Bad($"storage {key} has malformed view metadata");
        if (offset < 0 || viewSize < 0 || offset > storage.Numel - viewSize)
            throw Bad($"storage view {viewKey} [{offset}, +{viewSize}) lies outside storage {key} of {storage.Numel} elements");
        if (!_views.TryGetValue(viewKey, out var view))
            _views[viewKey] = view = new TorchStorage(viewKey, dtype, viewSize, storage, offset);
        return view;
    }

    public void Build(object? target, object? state)
    {
        // state_dict() OrderedDicts carry a `_metadata` attribute (module versions), restored by BUILD.
        // It is bookkeeping, not weights, so it is accepted and dropped.
        if (target is PyDict && state is null or PyDict or PyTuple { Items: [PyDict or null, PyDict or null] })
            return;
        throw Bad($"refusing to set state ({PyRepr.TypeName(state)}) on a {PyRepr.TypeName(target)}");
    }

    private TorchTensor Rebuild(object?[] a)
    {
        if (a[0] is not TorchStorage storage) throw Bad($"tensor rebuilt from a {PyRepr.TypeName(a[0])}, not a storage");
        if (a[1] is not long offset) throw Bad("tensor storage offset is not an int");
        var size = Longs(a[2], "tensor size");
        var stride = Longs(a[3], "tensor stride");
        return new TorchTensor(storage, offset, size, stride, Bad);
    }

    private List<object?> Sequence(object? v, string what) => v switch
    {
        PyList l => l.Items,
        PyTuple t => [.. t.Items],
        _ => throw Bad($"{what} is a {PyRepr.TypeName(v)}, not a sequence"),
    };

    private long[] Longs(object? v, string what) =>
        Sequence(v, what).Select(x => x is long n ? n : throw Bad($"{what} holds a {PyRepr.TypeName(x)}")).ToArray();

    private InvalidDataException Bad(string message) => new($"{file}: {message}");
}
