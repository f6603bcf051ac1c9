namespace TTL.Imaging;

/// <summary>The NIfTI <c>datatype</c> codes (nifti1.h), the same numbers in NIfTI-1 and NIfTI-2.</summary>
public enum NiftiDataType : short
{
    UInt8 = 2,
    Int16 = 4,
    Int32 = 8,
    Float32 = 16,
    Complex64 = 32,
    Float64 = 64,
    Rgb24 = 128,
    Int8 = 256,
    UInt16 = 512,
    UInt32 = 768,
    Int64 = 1024,
    UInt64 = 1280,
    Float128 = 1536,
    Complex128 = 1792,
    Complex256 = 2048,
    Rgba32 = 2304,
}

/// <summary>Sizes, names and value ranges of the datatypes; which ones this toolkit reads.</summary>
public static class NiftiDataTypes
{
    /// <summary>Bits per voxel as <c>bitpix</c> must state it, or 0 for a code nifti1.h does not define.</summary>
    public static int BitsPerVoxel(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 => 8,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 16,
        NiftiDataType.Rgb24 => 24,
        NiftiDataType.Int32 or NiftiDataType.UInt32 or NiftiDataType.Float32 or NiftiDataType.Rgba32 => 32,
        NiftiDataType.Int64 or NiftiDataType.UInt64 or NiftiDataType.Float64 or NiftiDataType.Complex64 => 64,
        NiftiDataType.Float128 or NiftiDataType.Complex128 => 128,
        NiftiDataType.Complex256 => 256,
        _ => 0,
    };

    public static int BytesPerVoxel(NiftiDataType t) => BitsPerVoxel(t) / 8;

    /// <summary>Whether the reader decodes this type (complex, float128 and RGBA are refused).</summary>
    public static bool IsSupported(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 or NiftiDataType.Int16 or NiftiDataType.UInt16
            or NiftiDataType.Int32 or NiftiDataType.UInt32 or NiftiDataType.Int64 or NiftiDataType.UInt64
            or NiftiDataType.Float32 or NiftiDataType.Float64 or NiftiDataType.Rgb24 => true,
        _ => false,
    };

    public static bool IsInteger(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 or NiftiDataType.Int16 or NiftiDataType.UInt16
            or NiftiDataType.Int32 or NiftiDataType.UInt32 or NiftiDataType.Int64 or NiftiDataType.UInt64 => true,
        _ => false,
    };

    /// <summary>Bytes of one scalar component (RGB24 has three 1-byte components per voxel).</summary>
    public static int ComponentBytes(NiftiDataType t) => t == NiftiDataType.Rgb24 ? 1 : BytesPerVoxel(t);

    /// <summary>The NumPy-style name used on the command line and in <c>nifti info</c>.</summary>
    public static string Name(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 => "uint8",
        NiftiDataType.Int8 => "int8",
        NiftiDataType.Int16 => "int16",
        NiftiDataType.UInt16 => "uint16",
        NiftiDataType.Int32 => "int32",
        NiftiDataType.UInt32 => "uint32",
        NiftiDataType.Int64 => "int64",
        NiftiDataType.UInt64 => "uint64",
        NiftiDataType.Float32 => "float32",
        NiftiDataType.Float64 => "float64",
        NiftiDataType.Rgb24 => "rgb24",
        NiftiDataType.Rgba32 => "rgba32",
        NiftiDataType.Complex64 => "complex64",
        NiftiDataType.Complex128 => "complex128",
        NiftiDataType.Complex256 => "complex256",
        NiftiDataType.Float128 => "float128",
        _ => "code " + (short)t,
    };

    /// <summary>Parses a name from <see cref="Name"/> among the types the writer can produce.</summary>
    public static bool TryParseWritable(string name, out NiftiDataType type)
    {
        foreach (NiftiDataType t in Enum.GetValues<NiftiDataType>())
        {
            if (t != NiftiDataType.Rgb24 && IsSupported(t) && string.Equals(Name(t), name, StringComparison.OrdinalIgnoreCase))
            {
                type = t;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>Smallest and largest value an integer type holds (as doubles, for clamping on cast).</summary>
    public static (double Min, double Max) IntegerRange(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 => (byte.MinValue, byte.MaxValue),
        NiftiDataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        NiftiDataType.Int16 => (short.MinValue, short.MaxValue),
        NiftiDataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        NiftiDataType.Int32 => (int.MinValue, int.MaxValue),
        NiftiDataType.UInt32 => (uint.MinValue, uint.MaxValue),
        NiftiDataType.Int64 => (long.MinValue, long.MaxValue),
        NiftiDataType.UInt64 => (ulong.MinValue, ulong.MaxValue),
        _ => throw new ArgumentException(Name(t) + " is not an integer type", nameof(t)),
    };
}
