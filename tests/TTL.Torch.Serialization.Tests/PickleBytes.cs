using System.Text;

namespace TTL.Torch.Serialization.Tests;

/// <summary>Hand-assembled protocol 2 pickles for the cases python3-torch never writes.</summary>
public sealed class PickleBytes
{
    private readonly List<byte> _b = [0x80, 0x02];

    public PickleBytes Op(char op) { _b.Add((byte)op); return this; }

    public PickleBytes Op(byte op) { _b.Add(op); return this; }

    public PickleBytes Global(string module, string name)
    {
        _b.Add((byte)'c');
        _b.AddRange(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    public PickleBytes Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        _b.Add((byte)'X');
        _b.AddRange(BitConverter.GetBytes(bytes.Length));
        _b.AddRange(bytes);
        return this;
    }

    public PickleBytes Int(int n)
    {
        _b.Add((byte)'J');
        _b.AddRange(BitConverter.GetBytes(n));
        return this;
    }

    public PickleBytes Raw(params byte[] bytes) { _b.AddRange(bytes); return this; }

    /// <summary>Pushes the tuple (ints…) via MARK … TUPLE.</summary>
    public PickleBytes Ints(params int[] values)
    {
        Op('(');
        foreach (var v in values) Int(v);
        return Op('t');
    }

    /// <summary>A float tensor rebuilt by _rebuild_tensor_v2 from storage `key` of `numel` elements.</summary>
    public PickleBytes Tensor(string key, int numel, int offset, int[] size, int[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        Op('(').Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Int(numel).Op('t').Op('Q');
        Int(offset).Ints(size).Ints(stride).Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R');
        return Op('t').Op('R');
    }

    public byte[] Stop() => [.. _b, (byte)'.'];
}
