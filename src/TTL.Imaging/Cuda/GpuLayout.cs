using TTL.Cuda.Kernels;
using TTL.Imaging.Augmentation;
using TTL.Imaging.Resampling;

namespace TTL.Imaging.Cuda;

/// <summary>
/// Exact voxel rearrangements on the GPU (layout.cu): reorientation as <see cref="Orientation.Reorient(Volume, string, int)"/>,
/// crop/pad as <see cref="CropPad.CropPad.Region"/>, joint image+label flips as the flip augmentation.
/// </summary>
public static class GpuLayout
{
    /// <summary>The volume reoriented to <paramref name="target"/> (RAS by default), affine carried along.</summary>
    public static GpuVolume Reorient(GpuVolume v, string target = "RAS")
    {
        var (source, flip, affine) = Orientation.Plan(v.Affine, v.Shape, target);
        return Permuted(v, source, flip, affine);
    }

    /// <summary>A contiguous copy of a strided view.</summary>
    public static GpuVolume Contiguous(GpuVolume v) => Permuted(v, [0, 1, 2], [false, false, false], v.Affine);

    private static GpuVolume Permuted(GpuVolume v, int[] source, bool[] flip, double[,] affine)
    {
        var outShape = new[] { v.Shape[source[0]], v.Shape[source[1]], v.Shape[source[2]] };
        var (offset, step) = Orientation.Steps(source, flip, v.Shape, [v.Strides.I, v.Strides.J, v.Strides.K]);
        var p = new Permute3
        {
            O0 = outShape[0], O1 = outShape[1], O2 = outShape[2],
            Channels = v.Channels,
            Offset = checked((int)offset),
            Sc = v.Strides.C, S0 = (int)step[0], S1 = (int)step[1], S2 = (int)step[2],
        };
        var output = GpuVolume.Allocate(v.Gpu, v.Channels, outShape, affine);
        // Through shared memory when the output's fastest axis is not the source's: both sides coalesced.
        int inner = Math.Abs(p.S2) == 1 ? -1 : Math.Abs(p.S0) == 1 ? 0 : Math.Abs(p.S1) == 1 ? 1 : -1;
        if (inner >= 0 && TiledGrid(p, inner, v.Channels).Y > 65535) inner = -1; // an axis of over 2M voxels: no tile grid
        GpuVolume.FreeOnFailure([output], () =>
        {
            if (inner < 0) v.Gpu.Launch(KernelCalls.Permute(v.Data, output.Data, p), output.VoxelCount);
            else v.Gpu.Launch(KernelCalls.PermuteTiled(v.Data, output.Data, p, inner), TiledGrid(p, inner, v.Channels));
        });
        return output;
    }

    /// <summary>
    /// The grid of ttl_permute_tiled: 32-wide tiles along k (x) and along the unit-stride axis (y),
    /// and the (channel, other axis) planes in z, capped at the 65535 the driver allows (the kernel
    /// strides over the rest).
    /// </summary>
    internal static TTL.Cuda.Driver.Dim3 TiledGrid(Permute3 p, int inner, int channels)
    {
        int along = inner == 0 ? p.O0 : p.O1, rest = inner == 0 ? p.O1 : p.O0;
        return new TTL.Cuda.Driver.Dim3((uint)((p.O2 + 31) / 32), (uint)((along + 31) / 32), (uint)Math.Min(65535L, (long)channels * rest));
    }

    /// <summary>The box [start, start + size) of the grid, pad value outside the volume, as <see cref="CropPad.CropPad.Region"/>.</summary>
    public static GpuVolume Region(GpuVolume v, int[] start, int[] size, float padValue = 0f)
    {
        if (start.Length != 3 || size.Length != 3 || size.Any(s => s < 1)) throw new ArgumentException("box needs 3 starts and 3 positive sizes");
        var box = new Box3
        {
            N0 = v.Shape[0], N1 = v.Shape[1], N2 = v.Shape[2],
            Start0 = start[0], Start1 = start[1], Start2 = start[2],
            Size0 = size[0], Size1 = size[1], Size2 = size[2],
            Channels = v.Channels,
            Sc = v.Strides.C, S0 = v.Strides.I, S1 = v.Strides.J, S2 = v.Strides.K,
            Pad = padValue,
        };
        var output = GpuVolume.Allocate(v.Gpu, v.Channels, size, GridMath.Shifted(v.Affine, start[0], start[1], start[2]));
        GpuVolume.FreeOnFailure([output], () => v.Gpu.Launch(KernelCalls.CropPad(v.Data, output.Data, box), output.VoxelCount));
        return output;
    }

    /// <summary>
    /// Image and label flipped along <paramref name="axes"/> (0 = i, 1 = j, 2 = k) in one pass, the
    /// affines carried along as <see cref="SpatialAugment.Permute"/> does for each flip.
    /// </summary>
    public static (GpuVolume Image, GpuVolume Label) FlipPair(GpuVolume image, GpuVolume label, params int[] axes)
    {
        if (!image.Shape.SequenceEqual(label.Shape)) throw new ArgumentException("image and label must share a grid");
        if (!image.IsContiguous || !label.IsContiguous) throw new ArgumentException("the joint flip takes contiguous volumes (GpuLayout.Contiguous makes one)");
        int mask = 0;
        double[,] imageAffine = image.Affine, labelAffine = label.Affine;
        foreach (var a in axes)
        {
            if (a is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(axes), a, "flip axes are 0, 1, 2");
            mask ^= 1 << a; // a second flip along the same axis undoes the first, as the affines do
            var map = SpatialAugment.FlipMap(image.Shape, a);
            imageAffine = AffineMath.Multiply(imageAffine, map);
            labelAffine = AffineMath.Multiply(labelAffine, map);
        }
        var outputs = new List<GpuVolume>();
        GpuVolume.FreeOnFailure(outputs, () =>
        {
            var img = GpuVolume.Allocate(image.Gpu, image.Channels, image.Shape, imageAffine);
            outputs.Add(img);
            var lab = GpuVolume.Allocate(image.Gpu, label.Channels, label.Shape, labelAffine);
            outputs.Add(lab);
            image.Gpu.Launch(KernelCalls.FlipPair(image.Data, img.Data, image.Channels, label.Data, lab.Data, label.Channels,
                image.Shape[0], image.Shape[1], image.Shape[2], mask), image.VoxelCount);
        });
        return (outputs[0], outputs[1]);
    }
}
