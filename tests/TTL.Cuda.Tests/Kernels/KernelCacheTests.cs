using System.Text;
using TTL.Cuda.Kernels;
using TTL.Cuda.Nvrtc;
using TTL.TestSupport;

namespace TTL.Cuda.Tests.Kernels;

public sealed class KernelCacheTests
{
    private static readonly KernelSource Tiny = new("tiny.cu", "extern \"C\" __global__ void tiny(float* x) { x[threadIdx.x] *= 2.0f; }\n");
    private static readonly GpuArch Arch = GpuArch.Parse("compute_80");
    private static readonly Dictionary<string, string> NoHeaders = new();

    [Fact]
    public void A_second_request_is_served_from_disk_without_compiling()
    {
        using var tmp = new TempDir();
        var cache = new KernelCache(tmp.Path);
        var first = cache.Get(Tiny, Arch, KernelSources.Options, NoHeaders);
        Assert.False(first.FromCache);
        Assert.Matches("^[0-9a-f]{64}-compute_80\\.ptx$", Path.GetFileName(first.Path));
        Assert.True(first.Image.CompileMs > 0);
        var second = cache.Get(Tiny, Arch, KernelSources.Options, NoHeaders);
        Assert.True(second.FromCache);
        Assert.Equal(first.Path, second.Path);
        Assert.Equal(first.Image.Image, second.Image.Image);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void A_changed_source_option_or_header_compiles_anew()
    {
        using var tmp = new TempDir();
        var cache = new KernelCache(tmp.Path);
        var baseline = cache.Get(Tiny, Arch, KernelSources.Options, NoHeaders);
        var source = cache.Get(Tiny with { Text = Tiny.Text + "// changed\n" }, Arch, KernelSources.Options, NoHeaders);
        var options = cache.Get(Tiny, Arch, [.. KernelSources.Options, "-DTTL_UNUSED=1"], NoHeaders);
        var headers = cache.Get(Tiny, Arch, KernelSources.Options, new Dictionary<string, string> { ["extra.cuh"] = "#pragma once\n" });
        var arch = cache.Get(Tiny, GpuArch.Parse("compute_90"), KernelSources.Options, NoHeaders);
        foreach (var r in new[] { source, options, headers, arch }) Assert.False(r.FromCache);
        Assert.Equal(5, new[] { baseline, source, options, headers, arch }.Select(r => r.Path).Distinct().Count());
        Assert.Equal(5, Directory.GetFiles(tmp.Path).Length); // no temporary files left behind
    }

    [Fact]
    public void A_damaged_cache_file_is_recompiled_not_loaded()
    {
        using var tmp = new TempDir();
        var cache = new KernelCache(tmp.Path);
        var first = cache.Get(Tiny, Arch, KernelSources.Options, NoHeaders);
        File.WriteAllText(first.Path!, "garbage");
        var again = cache.Get(Tiny, Arch, KernelSources.Options, NoHeaders);
        Assert.False(again.FromCache);
        Assert.Contains(".entry tiny", Encoding.ASCII.GetString(File.ReadAllBytes(first.Path!)));
    }

    [Fact]
    public void A_cubin_target_is_cached_as_a_cubin()
    {
        using var tmp = new TempDir();
        var r = new KernelCache(tmp.Path).Get(Tiny, GpuArch.Parse("sm_80"), KernelSources.Options, NoHeaders);
        Assert.EndsWith("-sm_80.cubin", r.Path);
        Assert.Equal((byte)0x7f, File.ReadAllBytes(r.Path!)[0]);
    }

    [Fact]
    public void An_unwritable_cache_still_returns_the_compiled_image()
    {
        using var tmp = new TempDir();
        var blocker = tmp.File("not-a-directory");
        File.WriteAllText(blocker, "");
        var r = new KernelCache(Path.Combine(blocker, "kernels")).Get(Tiny, Arch, KernelSources.Options, NoHeaders);
        Assert.Null(r.Path);
        Assert.Contains(".entry tiny", Encoding.ASCII.GetString(r.Image.Image));
    }
}
