namespace TTL.Torch.Native;

/// <summary>
/// A managed argument to a boxed operator call. Implicit conversions let wrappers write
/// <c>Op.Call(self, other, alpha)</c>; lists are pinned only for the duration of the call.
/// </summary>
internal readonly struct Arg
{
    internal readonly Tag Tag;
    internal readonly long I;
    internal readonly double D;
    internal readonly object? Obj;

    private Arg(Tag tag, long i = 0, double d = 0, object? obj = null)
    {
        Tag = tag;
        I = i;
        D = d;
        Obj = obj;
    }

    public static readonly Arg None = new(Tag.None);

    /// <summary>Use the schema's default for this position (later positions may still be given).</summary>
    public static readonly Arg Default = new(Tag.Default);

    public static implicit operator Arg(Tensor? t) => t is null ? None : new(Tag.Tensor, obj: t);
    public static implicit operator Arg(long v) => new(Tag.Int, i: v);
    public static implicit operator Arg(int v) => new(Tag.Int, i: v);
    public static implicit operator Arg(double v) => new(Tag.Double, d: v);
    public static implicit operator Arg(bool v) => new(Tag.Bool, i: v ? 1 : 0);
    public static implicit operator Arg(long[]? v) => v is null ? None : new(Tag.IntList, obj: v);
    public static implicit operator Arg(double[]? v) => v is null ? None : new(Tag.DoubleList, obj: v);
    public static implicit operator Arg(bool[]? v) => v is null ? None : new(Tag.BoolList, obj: v);
    public static implicit operator Arg(Tensor[]? v) => v is null ? None : new(Tag.TensorList, obj: v);
    public static implicit operator Arg(string? v) => v is null ? None : new(Tag.String, obj: v);
    public static implicit operator Arg(DType v) => new(Tag.Int, i: (long)v);
    public static implicit operator Arg(DType? v) => v is null ? None : new(Tag.Int, i: (long)v.Value);
    public static implicit operator Arg(Device v) => new(Tag.Device, i: (long)v.Type, d: v.Index);
    public static implicit operator Arg(Device? v) => v is null ? None : (Arg)v.Value;

    /// <summary>A list of optional tensors (null entries are None), as aten::index takes.</summary>
    public static Arg OptionalTensors(Tensor?[] v) => new(Tag.OptionalTensorList, obj: v);

    /// <summary>A Scalar argument: integers stay integers so integer tensors keep their dtype.</summary>
    public static Arg Scalar(double v) => new(Tag.Double, d: v);
}
