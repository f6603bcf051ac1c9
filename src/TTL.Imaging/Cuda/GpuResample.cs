using TTL.Cuda.Kernels;
using TTL.Imaging.Resampling;

namespace TTL.Imaging.Cuda;

/// <summary>
/// <see cref="Resample"/> on the GPU (resample.cu): the same voxel maps, boundary modes and
/// rounding, trilinear or nearest, optionally fused with an intensity map (windowing / scaling)
/// so a resample-then-window pipeline reads and writes the volume once.
/// </summary>
public static class GpuResample
{
    /// <summary>Resamples onto the grid (shape, affine), as <see cref="Resample.ToGrid"/>.</summary>
    public static GpuVolume ToGrid(GpuVolume source, int[] shape, double[,] affine, Interpolation interp = Interpolation.Linear,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f, IntensityMap? post = null)
    {
        var map = AffineMath.Multiply(GridMath.Invert(source.Affine), affine);
        return MapVoxels(source, shape, map, interp, mode, fill, post, affine);
    }

    /// <summary>
    /// Interpolates every channel at voxelMap·(i, j, k, 1), as <see cref="Resample.MapVoxels"/>.
    /// The output carries <paramref name="outputAffine"/> (default: the source's, as for a warp).
    /// </summary>
    public static GpuVolume MapVoxels(GpuVolume source, int[] shape, double[,] voxelMap, Interpolation interp,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f, IntensityMap? post = null, double[,]? outputAffine = null)
    {
        if (shape.Length != 3 || shape.Any(n => n < 1)) throw new ArgumentException("shape needs 3 positive sizes", nameof(shape));
        var grid = Grid(source, shape, Resample.PrepareMap(voxelMap), mode, fill);
        var output = GpuVolume.Allocate(source.Gpu, source.Channels, shape, outputAffine ?? source.Affine);
        var p = post ?? IntensityMap.None;
        var call = interp switch
        {
            Interpolation.Linear => KernelCalls.ResampleLinear(source.Data, output.Data, grid, p),
            Interpolation.Nearest => KernelCalls.ResampleNearest(source.Data, output.Data, grid, p),
            _ => throw new NotSupportedException($"{interp} interpolation runs on the CPU only; the GPU path has linear and nearest"),
        };
        GpuVolume.FreeOnFailure([output], () => source.Gpu.Launch(call, output.VoxelCount));
        return output;
    }

    /// <summary>
    /// A random-affine augmentation of image and label in one pass: the image trilinear (then
    /// <paramref name="post"/>), the label nearest, both through <paramref name="map"/> onto their
    /// own grid with the border extended, as <see cref="Augmentation.SpatialAugment.Warp"/> on each.
    /// </summary>
    public static (GpuVolume Image, GpuVolume Label) WarpPair(GpuVolume image, GpuVolume label, double[,] map, IntensityMap? post = null)
    {
        if (!image.Shape.SequenceEqual(label.Shape)) throw new ArgumentException("image and label must share a grid");
        if (label.Strides with { C = image.Strides.C } != image.Strides)
            throw new ArgumentException("image and label must have the same spatial strides (make the label contiguous like the image)");
        var grid = Grid(image, image.Shape, Resample.PrepareMap(map), BoundaryMode.Border, 0f);
        var labels = new LabelLayout { Channels = label.Channels, Sc = label.Strides.C, Fill = 0f };
        var outputs = new List<GpuVolume>();
        GpuVolume.FreeOnFailure(outputs, () =>
        {
            var img = GpuVolume.Allocate(image.Gpu, image.Channels, image.Shape, image.Affine);
            outputs.Add(img);
            var lab = GpuVolume.Allocate(image.Gpu, label.Channels, label.Shape, label.Affine);
            outputs.Add(lab);
            image.Gpu.Launch(KernelCalls.WarpPair(image.Data, img.Data, label.Data, lab.Data, grid, labels, post ?? IntensityMap.None), image.VoxelCount);
        });
        return (outputs[0], outputs[1]);
    }

    private static unsafe Grid3 Grid(GpuVolume source, int[] shape, double[,] m, BoundaryMode mode, float fill)
    {
        var g = new Grid3
        {
            N0 = source.Shape[0], N1 = source.Shape[1], N2 = source.Shape[2],
            O0 = shape[0], O1 = shape[1], O2 = shape[2],
            Channels = source.Channels,
            Sc = source.Strides.C, S0 = source.Strides.I, S1 = source.Strides.J, S2 = source.Strides.K,
            Mode = mode == BoundaryMode.Border ? 0 : 1,
            Fill = fill,
        };
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) g.M[r * 4 + c] = m[r, c];
        return g;
    }
}
