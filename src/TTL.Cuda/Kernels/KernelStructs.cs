using System.Runtime.InteropServices;

namespace TTL.Cuda.Kernels;

// C# mirrors of the structs the kernels take by value (native/kernels/*.cu). Sequential layout
// with natural alignment is the C layout, so sizes and offsets agree; the tests check each
// against the size and alignment the PTX declares for the parameter.

/// <summary>resample.cu Grid3: voxel map rows 0..2, source/output shapes, source strides, boundary.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Grid3
{
    public fixed double M[12];
    public int N0, N1, N2;
    public int O0, O1, O2;
    public int Channels;
    public int Sc, S0, S1, S2;
    public int Mode;
    public float Fill;
}

/// <summary>ttl_common.cuh IntensityMap: y = x·Scale + Shift (when Affine), clamped to [Lo, Hi] (when Clip).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IntensityMap
{
    public float Scale, Shift, Lo, Hi;
    public int Affine, Clip;

    public static IntensityMap None => new() { Scale = 1, Shift = 0 };

    public static IntensityMap Linear(float scale, float shift) => new() { Scale = scale, Shift = shift, Affine = 1 };

    public IntensityMap Clamped(float lo, float hi) => this with { Lo = lo, Hi = hi, Clip = 1 };
}

/// <summary>resample.cu LabelLayout: the label side of a joint warp.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct LabelLayout
{
    public int Channels, Sc;
    public float Fill;
}

/// <summary>layout.cu Permute3: output shape, source offset and per-output-axis source strides.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Permute3
{
    public int O0, O1, O2;
    public int Channels;
    public int Offset;
    public int Sc, S0, S1, S2;
}

/// <summary>layout.cu Box3: the crop/pad box in the source grid.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Box3
{
    public int N0, N1, N2;
    public int Start0, Start1, Start2;
    public int Size0, Size1, Size2;
    public int Channels;
    public int Sc, S0, S1, S2;
    public float Pad;
}

/// <summary>percentile.cu RadixPass: up to four (prefix, mask) queries and the digit counted.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct RadixPass
{
    public const int MaxQueries = 4;
    public fixed uint Prefix[MaxQueries];
    public fixed uint Mask[MaxQueries];
    public int Queries;
    public int Shift;
    public int Bits;
}

/// <summary>ttl_common.cuh Moments: a (count, mean, M2) summary, as the moment kernels write them.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct MomentSummary
{
    public double N, Mean, M2;
}
