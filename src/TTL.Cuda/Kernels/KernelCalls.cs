using TTL.Cuda.Driver;

namespace TTL.Cuda.Kernels;

/// <summary>A packed launch of one kernel: which source and entry, its arguments and block shape.</summary>
public sealed record KernelCall(string Source, string Entry, KernelArgs Args, Dim3 Block);

/// <summary>
/// One method per kernel entry of <c>native/kernels</c>, packing the arguments in the order and
/// types of the kernel's signature. This is the only place the host spells a kernel's parameter
/// list, and the tests compare every method with the PTX, so a signature change on either side fails
/// CI without a GPU.
/// </summary>
public static class KernelCalls
{
    private static readonly Dim3 Threads = new(256);

    // resample.cu
    public static KernelCall ResampleLinear(DevicePtr src, DevicePtr dst, in Grid3 grid, in IntensityMap post) =>
        new("resample", "ttl_resample_linear", new KernelArgs().Ptr(src).Ptr(dst).Struct(grid, 8).Struct(post, 4), Threads);

    public static KernelCall ResampleNearest(DevicePtr src, DevicePtr dst, in Grid3 grid, in IntensityMap post) =>
        new("resample", "ttl_resample_nearest", new KernelArgs().Ptr(src).Ptr(dst).Struct(grid, 8).Struct(post, 4), Threads);

    public static KernelCall WarpPair(DevicePtr image, DevicePtr imageOut, DevicePtr label, DevicePtr labelOut, in Grid3 grid, in LabelLayout labels, in IntensityMap post) =>
        new("resample", "ttl_warp_pair", new KernelArgs().Ptr(image).Ptr(imageOut).Ptr(label).Ptr(labelOut).Struct(grid, 8).Struct(labels, 4).Struct(post, 4), Threads);

    // layout.cu
    public static KernelCall Permute(DevicePtr src, DevicePtr dst, in Permute3 p) =>
        new("layout", "ttl_permute", new KernelArgs().Ptr(src).Ptr(dst).Struct(p, 4), Threads);

    public static KernelCall PermuteTiled(DevicePtr src, DevicePtr dst, in Permute3 p, int inner) =>
        new("layout", "ttl_permute_tiled", new KernelArgs().Ptr(src).Ptr(dst).Struct(p, 4).I32(inner), new Dim3(32, 8));

    public static KernelCall FlipPair(DevicePtr image, DevicePtr imageOut, int imageChannels, DevicePtr label, DevicePtr labelOut, int labelChannels, int n0, int n1, int n2, int axes) =>
        new("layout", "ttl_flip_pair", new KernelArgs().Ptr(image).Ptr(imageOut).I32(imageChannels).Ptr(label).Ptr(labelOut).I32(labelChannels).I32(n0).I32(n1).I32(n2).I32(axes), Threads);

    public static KernelCall CropPad(DevicePtr src, DevicePtr dst, in Box3 box) =>
        new("layout", "ttl_crop_pad", new KernelArgs().Ptr(src).Ptr(dst).Struct(box, 4), Threads);

    // intensity.cu
    public static KernelCall IntensityMapInPlace(DevicePtr x, uint n, in IntensityMap map) =>
        new("intensity", "ttl_intensity_map", new KernelArgs().Ptr(x).U32(n).Struct(map, 4), Threads);

    public static KernelCall MomentsPartial(DevicePtr x, uint length, bool nonzero, DevicePtr partial) =>
        new("intensity", "ttl_moments_partial", new KernelArgs().Ptr(x).U32(length).I32(nonzero ? 1 : 0).Ptr(partial), Threads);

    public static KernelCall MomentsFinish(DevicePtr partial, uint parts, DevicePtr stats) =>
        new("intensity", "ttl_moments_finish", new KernelArgs().Ptr(partial).U32(parts).Ptr(stats), Threads);

    public static KernelCall ZScoreApply(DevicePtr x, uint length, DevicePtr stats, bool nonzero) =>
        new("intensity", "ttl_zscore_apply", new KernelArgs().Ptr(x).U32(length).Ptr(stats).I32(nonzero ? 1 : 0), Threads);

    // percentile.cu
    public static KernelCall RadixHistogram(DevicePtr x, uint n, in RadixPass pass, DevicePtr hist, DevicePtr nans) =>
        new("percentile", "ttl_radix_histogram", new KernelArgs().Ptr(x).U32(n).Struct(pass, 4).Ptr(hist).Ptr(nans), new Dim3(512));

    // noise.cu
    public static KernelCall GaussianNoise(DevicePtr x, uint n, ulong seed, uint stream, float mean, float std) =>
        new("noise", "ttl_gaussian_noise", new KernelArgs().Ptr(x).U32(n).U32((uint)seed).U32((uint)(seed >> 32)).U32(stream).F32(mean).F32(std), Threads);

    // svcca.cu
    public static KernelCall ColumnMeans(bool float64, DevicePtr x, int rows, int cols, int ld, DevicePtr mean) =>
        new("svcca", float64 ? "ttl_column_means_f64" : "ttl_column_means_f32", new KernelArgs().Ptr(x).I32(rows).I32(cols).I32(ld).Ptr(mean), new Dim3(32, 32));

    public static KernelCall CenterJoin(bool float64, DevicePtr a, int lda, DevicePtr b, int ldb, int rows, int ca, int cb, DevicePtr mean, DevicePtr x, DevicePtr bad) =>
        new("svcca", float64 ? "ttl_center_join_f64" : "ttl_center_join_f32",
            new KernelArgs().Ptr(a).I32(lda).Ptr(b).I32(ldb).I32(rows).I32(ca).I32(cb).Ptr(mean).Ptr(x).Ptr(bad), Threads);

    public static KernelCall ScatterMerge(DevicePtr s, DevicePtr g, DevicePtr delta, double weight, int d, int ca, DevicePtr squares) =>
        new("svcca", "ttl_scatter_merge", new KernelArgs().Ptr(s).Ptr(g).Ptr(delta).F64(weight).I32(d).I32(ca).Ptr(squares), Threads);

    public static KernelCall RowNorms(DevicePtr x, int rows, int d, int ca, DevicePtr partial) =>
        new("svcca", "ttl_row_norms", new KernelArgs().Ptr(x).I32(rows).I32(d).I32(ca).Ptr(partial), Threads);

    public static KernelCall CopyBlock(DevicePtr src, int lds, DevicePtr dst, int ldd, int rows, int cols) =>
        new("svcca", "ttl_copy_block", new KernelArgs().Ptr(src).I32(lds).Ptr(dst).I32(ldd).I32(rows).I32(cols), Threads);

    public static KernelCall GatherColumnsDesc(DevicePtr v, int n, int k, DevicePtr output) =>
        new("svcca", "ttl_gather_columns_desc", new KernelArgs().Ptr(v).I32(n).I32(k).Ptr(output), Threads);

    public static KernelCall ScaleRowsCols(DevicePtr t, int rows, int cols, int ld, DevicePtr row, DevicePtr col) =>
        new("svcca", "ttl_scale_rows_cols", new KernelArgs().Ptr(t).I32(rows).I32(cols).I32(ld).Ptr(row).Ptr(col), Threads);

    public static KernelCall ColumnAbsSums(DevicePtr h, int rows, int cols, int ld, DevicePtr output) =>
        new("svcca", "ttl_column_abs_sums", new KernelArgs().Ptr(h).I32(rows).I32(cols).I32(ld).Ptr(output), Threads);
}
