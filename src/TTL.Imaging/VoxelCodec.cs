using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TTL.Imaging;

/// <summary>
/// Converts between NIfTI's on-disk voxel layout and <see cref="Volume"/>'s. A file stores each
/// 3D volume in Fortran order (i fastest) as a sequence of k-planes of I×J values, volumes of the
/// extra dimensions one after another; a Volume stores float32 in C order [c, i, j, k]. Decoding
/// therefore transposes every plane while converting. It works on any run of whole planes, so a
/// reader can decode one chunk while the next is being inflated; writes go to each output row in
/// short contiguous runs of k (one cache line for 16 planes), parallel over j.
/// </summary>
public static class VoxelCodec
{
    /// <summary>Number of i values handled together so the output rows they touch stay in L1.</summary>
    private const int IBlock = 64;

    /// <summary>Planes (k values) gathered per tile before they are stored to the output rows.</summary>
    private const int KBlock = 64;

    /// <summary>Reverses the byte order of every component in place (big-endian files).</summary>
    public static void SwapBytes(Span<byte> data, NiftiDataType type)
    {
        switch (NiftiDataTypes.ComponentBytes(type))
        {
            case 2:
                var s = MemoryMarshal.Cast<byte, short>(data);
                BinaryPrimitives.ReverseEndianness(s, s);
                break;
            case 4:
                var i = MemoryMarshal.Cast<byte, int>(data);
                BinaryPrimitives.ReverseEndianness(i, i);
                break;
            case 8:
                var l = MemoryMarshal.Cast<byte, long>(data);
                BinaryPrimitives.ReverseEndianness(l, l);
                break;
        }
    }

    /// <summary>
    /// Decodes planes [<paramref name="firstPlane"/>, +count) held in <paramref name="src"/>
    /// (little-endian, file layout) into <paramref name="dst"/> (C order [c, i, j, k]), applying
    /// slope and intercept when <paramref name="scaled"/>. <paramref name="shape"/> is (I, J, K);
    /// plane p is k = p mod K of extra volume p / K. RGB24 voxels give three consecutive channels.
    /// </summary>
    public static void DecodePlanes(byte[] src, NiftiDataType type, int[] shape, long firstPlane, int planeCount,
        float[] dst, bool scaled, double slope, double inter, int threads)
    {
        switch (type)
        {
            case NiftiDataType.UInt8: Decode<byte>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Int8: Decode<sbyte>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Int16: Decode<short>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.UInt16: Decode<ushort>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Int32: Decode<int>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.UInt32: Decode<uint>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Int64: Decode<long>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.UInt64: Decode<ulong>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Float32: Decode<float>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Float64: Decode<double>(src, shape, firstPlane, planeCount, dst, scaled, slope, inter, threads); break;
            case NiftiDataType.Rgb24: DecodeRgb(src, shape, firstPlane, planeCount, dst); break;
            default: throw new NotSupportedException(NiftiDataTypes.Name(type) + " cannot be decoded");
        }
    }

    private static void Decode<T>(byte[] srcBytes, int[] shape, long firstPlane, int planeCount, float[] dst,
        bool scaled, double slope, double inter, int threads) where T : unmanaged, INumberBase<T>
    {
        int I = shape[0], J = shape[1], K = shape[2];
        long plane = (long)I * J, volume = plane * K, rowStride = (long)J * K;
        Parallel.For(0, J, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, j =>
        {
            ReadOnlySpan<T> src = MemoryMarshal.Cast<byte, T>(srcBytes.AsSpan(0, (int)(plane * planeCount * Unsafe.SizeOf<T>())));
            // Transpose through a small tile: output rows lie J·K floats apart (often a multiple of
            // the page size, so they collide in the same cache sets); gathering a tile first lets
            // each output row receive one contiguous run of k values instead of scattered stores.
            Span<float> tile = stackalloc float[IBlock * KBlock];
            int p = 0;
            while (p < planeCount)
            {
                // A run of planes within one extra volume: consecutive k, same output channel.
                long global = firstPlane + p;
                long t = global / K;
                int k0 = (int)(global % K);
                int run = Math.Min(planeCount - p, K - k0);
                for (int r0 = 0; r0 < run; r0 += KBlock)
                {
                    int rn = Math.Min(KBlock, run - r0);
                    long outBase = t * volume + (long)j * K + k0 + r0;
                    for (int i0 = 0; i0 < I; i0 += IBlock)
                    {
                        int ni = Math.Min(IBlock, I - i0);
                        for (int r = 0; r < rn; r++)
                        {
                            ReadOnlySpan<T> row = src.Slice((int)((p + r0 + r) * plane + (long)j * I + i0), ni);
                            if (scaled)
                                for (int i = 0; i < ni; i++) tile[i * KBlock + r] = (float)(double.CreateTruncating(row[i]) * slope + inter);
                            else
                                for (int i = 0; i < ni; i++) tile[i * KBlock + r] = float.CreateTruncating(row[i]);
                        }
                        for (int i = 0; i < ni; i++)
                            tile.Slice(i * KBlock, rn).CopyTo(dst.AsSpan((int)(outBase + (i0 + i) * rowStride), rn));
                    }
                }
                p += run;
            }
        });
    }

    private static void DecodeRgb(byte[] src, int[] shape, long firstPlane, int planeCount, float[] dst)
    {
        int I = shape[0], J = shape[1], K = shape[2];
        long plane = (long)I * J, volume = plane * K;
        for (int p = 0; p < planeCount; p++)
        {
            long global = firstPlane + p;
            long t = global / K;
            int k = (int)(global % K);
            for (int j = 0; j < J; j++)
                for (int i = 0; i < I; i++)
                {
                    long s = 3 * (p * plane + (long)j * I + i);
                    long o = ((long)i * J + j) * K + k;
                    for (int c = 0; c < 3; c++) dst[(3 * t + c) * volume + o] = src[s + c];
                }
        }
    }

    /// <summary>
    /// The inverse of <see cref="DecodePlanes"/> for writing: planes of a float volume (C order)
    /// into <paramref name="dst"/> in file layout and little-endian <paramref name="type"/>.
    /// Float targets take the value; integer targets round half to even and clamp to the type's
    /// range, NaN becoming 0 (a cast without scaling, as a user asking for a type expects).
    /// </summary>
    public static void EncodePlanes(float[] src, int[] shape, long firstPlane, int planeCount, byte[] dst, NiftiDataType type, int threads)
    {
        switch (type)
        {
            case NiftiDataType.UInt8: Encode<byte>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.Int8: Encode<sbyte>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.Int16: Encode<short>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.UInt16: Encode<ushort>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.Int32: Encode<int>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.UInt32: Encode<uint>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.Int64: Encode<long>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.UInt64: Encode<ulong>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.Float32: Encode<float>(src, shape, firstPlane, planeCount, dst, threads); break;
            case NiftiDataType.Float64: Encode<double>(src, shape, firstPlane, planeCount, dst, threads); break;
            default: throw new NotSupportedException(NiftiDataTypes.Name(type) + " cannot be written from a float volume");
        }
    }

    private static void Encode<T>(float[] src, int[] shape, long firstPlane, int planeCount, byte[] dstBytes, int threads)
        where T : unmanaged, INumberBase<T>
    {
        int I = shape[0], J = shape[1], K = shape[2];
        long plane = (long)I * J, volume = plane * K, rowStride = (long)J * K;
        bool integer = typeof(T) != typeof(float) && typeof(T) != typeof(double);
        Parallel.For(0, J, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, j =>
        {
            Span<T> dst = MemoryMarshal.Cast<byte, T>(dstBytes.AsSpan(0, (int)(plane * planeCount * Unsafe.SizeOf<T>())));
            int p = 0;
            while (p < planeCount)
            {
                long global = firstPlane + p;
                long t = global / K;
                int k0 = (int)(global % K);
                int run = Math.Min(planeCount - p, K - k0);
                long inBase = t * volume + (long)j * K + k0;
                for (int i0 = 0; i0 < I; i0 += IBlock)
                {
                    int i1 = Math.Min(I, i0 + IBlock);
                    for (int r = 0; r < run; r++)
                    {
                        Span<T> row = dst.Slice((int)((p + r) * plane + (long)j * I), I);
                        long o = inBase + r;
                        for (int i = i0; i < i1; i++)
                        {
                            float v = src[o + i * rowStride];
                            row[i] = integer ? ToInteger<T>(v) : T.CreateTruncating(v);
                        }
                    }
                }
                p += run;
            }
        });
    }

    private static T ToInteger<T>(double v) where T : INumberBase<T> =>
        double.IsNaN(v) ? T.Zero : T.CreateSaturating(Math.Round(v, MidpointRounding.ToEven));

    /// <summary>
    /// Converts raw data (file layout, little-endian) to another type: the stored value with the
    /// header's scaling applied, then cast as <see cref="EncodePlanes"/> casts. Layout is unchanged.
    /// </summary>
    public static byte[] Cast(byte[] src, NiftiDataType from, NiftiDataType to, bool scaled, double slope, double inter, int threads)
    {
        long n = src.LongLength / NiftiDataTypes.BytesPerVoxel(from);
        var dst = new byte[checked(n * NiftiDataTypes.BytesPerVoxel(to))];
        const int Block = 1 << 16;
        int blocks = (int)((n + Block - 1) / Block);
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
            () => new double[Block],
            (b, _, buf) =>
            {
                long start = (long)b * Block;
                int len = (int)Math.Min(Block, n - start);
                var v = buf.AsSpan(0, len);
                ToDouble(src, from, start, v);
                if (scaled) for (int i = 0; i < len; i++) v[i] = v[i] * slope + inter;
                FromDouble(v, dst, to, start);
                return buf;
            },
            _ => { });
        return dst;
    }

    private static void ToDouble(byte[] src, NiftiDataType type, long start, Span<double> v)
    {
        switch (type)
        {
            case NiftiDataType.UInt8: Widen<byte>(src, start, v); break;
            case NiftiDataType.Int8: Widen<sbyte>(src, start, v); break;
            case NiftiDataType.Int16: Widen<short>(src, start, v); break;
            case NiftiDataType.UInt16: Widen<ushort>(src, start, v); break;
            case NiftiDataType.Int32: Widen<int>(src, start, v); break;
            case NiftiDataType.UInt32: Widen<uint>(src, start, v); break;
            case NiftiDataType.Int64: Widen<long>(src, start, v); break;
            case NiftiDataType.UInt64: Widen<ulong>(src, start, v); break;
            case NiftiDataType.Float32: Widen<float>(src, start, v); break;
            case NiftiDataType.Float64: Widen<double>(src, start, v); break;
            default: throw new NotSupportedException(NiftiDataTypes.Name(type) + " cannot be converted");
        }
    }

    private static void Widen<T>(byte[] src, long start, Span<double> v) where T : unmanaged, INumberBase<T>
    {
        var s = MemoryMarshal.Cast<byte, T>(src.AsSpan((int)(start * Unsafe.SizeOf<T>()), v.Length * Unsafe.SizeOf<T>()));
        for (int i = 0; i < v.Length; i++) v[i] = double.CreateTruncating(s[i]);
    }

    private static void FromDouble(ReadOnlySpan<double> v, byte[] dst, NiftiDataType type, long start)
    {
        switch (type)
        {
            case NiftiDataType.UInt8: Narrow<byte>(v, dst, start); break;
            case NiftiDataType.Int8: Narrow<sbyte>(v, dst, start); break;
            case NiftiDataType.Int16: Narrow<short>(v, dst, start); break;
            case NiftiDataType.UInt16: Narrow<ushort>(v, dst, start); break;
            case NiftiDataType.Int32: Narrow<int>(v, dst, start); break;
            case NiftiDataType.UInt32: Narrow<uint>(v, dst, start); break;
            case NiftiDataType.Int64: Narrow<long>(v, dst, start); break;
            case NiftiDataType.UInt64: Narrow<ulong>(v, dst, start); break;
            case NiftiDataType.Float32: Narrow<float>(v, dst, start); break;
            case NiftiDataType.Float64: Narrow<double>(v, dst, start); break;
            default: throw new NotSupportedException(NiftiDataTypes.Name(type) + " cannot be written");
        }
    }

    private static void Narrow<T>(ReadOnlySpan<double> v, byte[] dst, long start) where T : unmanaged, INumberBase<T>
    {
        var d = MemoryMarshal.Cast<byte, T>(dst.AsSpan((int)(start * Unsafe.SizeOf<T>()), v.Length * Unsafe.SizeOf<T>()));
        bool integer = typeof(T) != typeof(float) && typeof(T) != typeof(double);
        for (int i = 0; i < v.Length; i++) d[i] = integer ? ToInteger<T>(v[i]) : T.CreateTruncating(v[i]);
    }
}
