using System.Runtime.CompilerServices;

namespace TTL.Imaging;

/// <summary>
/// Orientation of voxel axes in world space and exact reorientation, as nibabel defines them:
/// <c>io_orientation</c> (nearest world axis and direction of each voxel axis, via the polar
/// decomposition so shears and obliquity are tolerated), <c>aff2axcodes</c>, and
/// <c>as_closest_canonical</c> generalised to any target code. Reorienting only permutes and flips
/// voxels, so values are unchanged and the world position of every voxel is preserved.
/// </summary>
public static class Orientation
{
    private static readonly char[][] Labels = [['L', 'R'], ['P', 'A'], ['I', 'S']];

    /// <summary>
    /// For each voxel axis, the world axis (0 = x/R, 1 = y/A, 2 = z/S) it runs along most closely
    /// and the direction (+1 towards R/A/S); axis −1 where the affine carries no information.
    /// </summary>
    public static (int Axis, int Sign)[] IoOrientation(double[,] affine)
    {
        var rzs = new double[3, 3];
        var zooms = AffineMath.ColumnNorms3(affine);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) rzs[i, j] = affine[i, j] / (zooms[j] == 0 ? 1 : zooms[j]);
        var r = AffineMath.NearestOrthogonal(rzs);
        var result = new (int, int)[3];
        for (int inAx = 0; inAx < 3; inAx++)
        {
            int best = -1;
            double bestAbs = 0;
            bool allClose = true;
            for (int o = 0; o < 3; o++)
            {
                // np.allclose(col, 0): |x| <= 1e-8
                if (Math.Abs(r[o, inAx]) > 1e-8) allClose = false;
                if (Math.Abs(r[o, inAx]) > bestAbs)
                {
                    bestAbs = Math.Abs(r[o, inAx]);
                    best = o;
                }
            }
            if (allClose || best < 0)
            {
                result[inAx] = (-1, 0);
                continue;
            }
            result[inAx] = (best, r[best, inAx] < 0 ? -1 : 1);
            // Ties are broken in axis order: a world axis once taken is not offered again.
            for (int j = 0; j < 3; j++) r[best, j] = 0;
        }
        return result;
    }

    /// <summary>Three letters such as "RAS" or "LPI"; '?' for an axis the affine does not orient.</summary>
    public static string AxisCodes(double[,] affine)
    {
        var o = IoOrientation(affine);
        Span<char> c = stackalloc char[3];
        for (int i = 0; i < 3; i++) c[i] = o[i].Axis < 0 ? '?' : Labels[o[i].Axis][o[i].Sign > 0 ? 1 : 0];
        return new string(c);
    }

    /// <summary>Parses a target such as "RAS" or "lps": one letter per world axis, each axis once.</summary>
    public static (int Axis, int Sign)[] ParseCodes(string codes)
    {
        if (codes.Length != 3) throw new ArgumentException($"orientation '{codes}' must have 3 letters from L/R, P/A, I/S");
        var result = new (int, int)[3];
        int seen = 0;
        for (int i = 0; i < 3; i++)
        {
            char ch = char.ToUpperInvariant(codes[i]);
            int axis = -1, sign = 0;
            for (int a = 0; a < 3; a++)
            {
                if (Labels[a][0] == ch) (axis, sign) = (a, -1);
                if (Labels[a][1] == ch) (axis, sign) = (a, 1);
            }
            if (axis < 0 || (seen & (1 << axis)) != 0)
                throw new ArgumentException($"orientation '{codes}' must have 3 letters from L/R, P/A, I/S, one per world axis");
            seen |= 1 << axis;
            result[i] = (axis, sign);
        }
        return result;
    }

    /// <summary>
    /// How to reorient a grid with this affine and spatial shape to <paramref name="target"/>: for
    /// each output axis the source axis and whether it is flipped, and the new affine
    /// (affine · T, where T maps new voxel indices to old ones).
    /// </summary>
    public static (int[] Source, bool[] Flip, double[,] Affine) Plan(double[,] affine, int[] shape, string target)
    {
        var io = IoOrientation(affine);
        foreach (var (axis, _) in io)
            if (axis < 0) throw new InvalidDataException("affine: a voxel axis has no direction in world space, orientation is undefined");
        var want = ParseCodes(target);
        var source = new int[3];
        var flip = new bool[3];
        var t = new double[4, 4];
        t[3, 3] = 1;
        for (int o = 0; o < 3; o++)
        {
            int s = Array.FindIndex(io, x => x.Axis == want[o].Axis);
            source[o] = s;
            flip[o] = io[s].Sign != want[o].Sign;
            t[s, o] = flip[o] ? -1 : 1;
            if (flip[o]) t[s, 3] = shape[s] - 1;
        }
        return (source, flip, AffineMath.Multiply(affine, t));
    }

    /// <summary>The volume reoriented to <paramref name="target"/> (default RAS, nibabel's <c>as_closest_canonical</c>).</summary>
    public static Volume Reorient(Volume v, string target = "RAS", int threads = 0)
    {
        var (source, flip, affine) = Plan(v.Affine, v.Shape, target);
        var outShape = new[] { v.Shape[source[0]], v.Shape[source[1]], v.Shape[source[2]] };
        // Every element is written by the permutation, so the GC need not zero it first.
        var dst = GC.AllocateUninitializedArray<float>(v.Data.Length);
        // C order [c, i, j, k]: output axes 0, 1, 2 are outer, middle, inner.
        long[] stride = [(long)v.Shape[1] * v.Shape[2], v.Shape[2], 1];
        long volume = v.VoxelCount;
        for (int c = 0; c < v.Channels; c++)
        {
            var (offset, step) = Steps(source, flip, v.Shape, stride);
            Permute(v.Data, c * volume + offset, dst, c * volume, outShape[0], outShape[1], outShape[2], step[0], step[1], step[2], threads);
        }
        var header = v.Header is null ? null : Regeometried(v.Header, outShape, affine);
        return new Volume(dst, v.Channels, outShape, affine) { Header = header };
    }

    /// <summary>Stored values reoriented to <paramref name="target"/>; the header's qform and sform follow.</summary>
    public static NiftiImage Reorient(NiftiImage img, string target = "RAS", int threads = 0)
    {
        var h = img.Header;
        var shape = h.SpatialShape;
        var (source, flip, affine) = Plan(h.BestAffine(), shape, target);
        var outShape = new[] { shape[source[0]], shape[source[1]], shape[source[2]] };
        // File layout, i fastest: output axes 2, 1, 0 are outer, middle, inner.
        long[] stride = [1, shape[0], (long)shape[0] * shape[1]];
        var (offset, step) = Steps(source, flip, shape, stride);
        long volume = (long)shape[0] * shape[1] * shape[2];
        int esize = NiftiDataTypes.BytesPerVoxel(h.DataType);
        var dst = new byte[img.Data.LongLength];
        for (long t = 0; t < h.ExtraCount; t++)
        {
            long sBase = t * volume + offset, dBase = t * volume;
            switch (esize)
            {
                case 1: Permute(img.Data, sBase, dst, dBase, outShape[2], outShape[1], outShape[0], step[2], step[1], step[0], threads); break;
                case 2: PermuteAs<short>(img.Data, sBase, dst, dBase, outShape, step, threads); break;
                case 3: PermuteAs<Rgb>(img.Data, sBase, dst, dBase, outShape, step, threads); break;
                case 4: PermuteAs<int>(img.Data, sBase, dst, dBase, outShape, step, threads); break;
                case 8: PermuteAs<long>(img.Data, sBase, dst, dBase, outShape, step, threads); break;
                default: throw new NotSupportedException($"{esize}-byte voxels cannot be reoriented");
            }
        }
        var header = Regeometried(h, outShape, affine);
        return new NiftiImage(header, dst);
    }

    /// <summary>Header with shape, pixdims and both transforms describing the reoriented grid; unset codes become 2 (aligned) so the new affine is what readers see.</summary>
    private static NiftiHeader Regeometried(NiftiHeader h, int[] shape, double[,] affine)
    {
        int scode = h.SFormCode != 0 ? h.SFormCode : h.QFormCode != 0 ? h.QFormCode : 2;
        int qcode = h.QFormCode != 0 ? h.QFormCode : scode;
        var full = h.Shape;
        var dims = full.Length >= 3 ? full : new long[3];
        for (int d = 0; d < 3; d++) dims[d] = shape[d];
        return h.WithShape(dims).WithQForm(affine, qcode).WithSForm(affine, scode);
    }

    internal static (long Offset, long[] Step) Steps(int[] source, bool[] flip, int[] shape, long[] stride)
    {
        long offset = 0;
        var step = new long[3];
        for (int o = 0; o < 3; o++)
        {
            int s = source[o];
            step[o] = flip[o] ? -stride[s] : stride[s];
            if (flip[o]) offset += (shape[s] - 1) * stride[s];
        }
        return (offset, step);
    }

    /// <summary>Three-byte element so RGB voxels move as one.</summary>
    [InlineArray(3)]
    private struct Rgb
    {
        private byte _first;
    }

    private static unsafe void PermuteAs<T>(byte[] src, long sBase, byte[] dst, long dBase, int[] outShape, long[] step, int threads) where T : unmanaged
    {
        if (sizeof(T) != Unsafe.SizeOf<T>()) throw new InvalidOperationException("unexpected element padding");
        fixed (byte* s = src, d = dst)
        {
            nint sp = (nint)s, dp = (nint)d;
            Parallel.For(0, outShape[2], Options(threads), c =>
            {
                T* sT = (T*)sp + sBase, dT = (T*)dp + dBase;
                long dRow = (long)c * outShape[1] * outShape[0];
                for (int b = 0; b < outShape[1]; b++)
                {
                    long so = c * step[2] + b * step[1];
                    T* row = dT + dRow + (long)b * outShape[0];
                    for (int a = 0; a < outShape[0]; a++) row[a] = sT[so + a * step[0]];
                }
            });
        }
    }

    /// <summary>dst[base + (x·n1 + y)·n2 + z] = src[sBase + x·s0 + y·s1 + z·s2], parallel over x.</summary>
    private static void Permute<T>(T[] src, long sBase, T[] dst, long dBase, int n0, int n1, int n2, long s0, long s1, long s2, int threads)
    {
        Parallel.For(0, n0, Options(threads), x =>
        {
            for (int y = 0; y < n1; y++)
            {
                long so = sBase + x * s0 + y * s1;
                long d = dBase + ((long)x * n1 + y) * n2;
                for (int z = 0; z < n2; z++) dst[d + z] = src[so + z * s2];
            }
        });
    }

    private static ParallelOptions Options(int threads) => new() { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
}
