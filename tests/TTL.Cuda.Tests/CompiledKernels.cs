using TTL.Cuda.Kernels;
using TTL.Cuda.Nvrtc;

namespace TTL.Cuda.Tests;

/// <summary>PTX of every kernel source per architecture, compiled once per test run (NVRTC takes well under a second for all).</summary>
internal static class CompiledKernels
{
    private static readonly Dictionary<(string, string), string> _ptx = new();

    public static string Ptx(string source, string arch)
    {
        lock (_ptx)
        {
            if (_ptx.TryGetValue((source, arch), out var p)) return p;
            var src = KernelSources.Get(source);
            var image = NvrtcCompiler.Default.Compile(src.Text, src.File, KernelSources.Headers, GpuArch.Parse(arch), KernelSources.Options);
            return _ptx[(source, arch)] = System.Text.Encoding.ASCII.GetString(image.Image);
        }
    }

    /// <summary>The entry points each source must define: what the host wrappers launch.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Entries = new Dictionary<string, string[]>
    {
        ["intensity"] = ["ttl_intensity_map", "ttl_moments_partial", "ttl_moments_finish", "ttl_zscore_apply"],
        ["layout"] = ["ttl_permute", "ttl_permute_tiled", "ttl_flip_pair", "ttl_crop_pad"],
        ["noise"] = ["ttl_gaussian_noise"],
        ["percentile"] = ["ttl_radix_histogram"],
        ["resample"] = ["ttl_resample_linear", "ttl_resample_nearest", "ttl_warp_pair"],
        ["svcca"] = ["ttl_column_means_f32", "ttl_column_means_f64", "ttl_center_join_f32", "ttl_center_join_f64", "ttl_scatter_merge",
                     "ttl_row_norms", "ttl_copy_block", "ttl_gather_columns_desc", "ttl_scale_rows_cols", "ttl_column_abs_sums"],
    };
}
