using System.Runtime.InteropServices;

namespace TTL.Torch.Native;

/// <summary>Kinds of value in a boxed operator call; mirrors ttl_tag in the shim.</summary>
internal enum Tag : int
{
    None = 0,
    Tensor = 1,
    Int = 2,
    Double = 3,
    Bool = 4,
    IntList = 5,
    DoubleList = 6,
    TensorList = 7,
    String = 8,
    Device = 9,
    Default = 10,
    OptionalTensorList = 11,
    BoolList = 12,
}

/// <summary>One argument or result of a boxed call, laid out like the shim's ttl_value (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Value
{
    public Tag Tag;
    public int Length;
    public long I;
    public double D;
    public IntPtr P;
}
