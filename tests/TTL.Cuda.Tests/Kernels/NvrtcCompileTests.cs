using TTL.Cuda.Kernels;
using TTL.Cuda.Nvrtc;

namespace TTL.Cuda.Tests.Kernels;

/// <summary>Every kernel compiles with the NVRTC this host has (Debian's 11.8 in CI), with no GPU.</summary>
public sealed class NvrtcCompileTests
{
    public static TheoryData<string, string> SourcesAndArchs()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in KernelSources.All)
            foreach (var arch in new[] { "compute_80", "compute_90" }) data.Add(s.Name, arch);
        return data;
    }

    [Theory]
    [MemberData(nameof(SourcesAndArchs))]
    public void Every_kernel_compiles_to_ptx_that_declares_its_entry_points(string source, string arch)
    {
        var ptx = CompiledKernels.Ptx(source, arch);
        Assert.Contains($".target sm_{arch[^2..]}", ptx);
        var entries = Ptx.Entries(ptx).Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(CompiledKernels.Entries[source].Order(StringComparer.Ordinal).ToArray(), entries);
    }

    [Fact]
    public void The_embedded_sources_are_the_kernel_files_of_the_repository()
    {
        var files = Directory.GetFiles(Path.Combine(TestSupport.Repo.Root, "native", "kernels"), "*.cu").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(files, KernelSources.All.Select(s => s.Name).Order());
        Assert.Equal(CompiledKernels.Entries.Keys.Order(), KernelSources.All.Select(s => s.Name).Order());
        Assert.Contains("ttl_common.cuh", KernelSources.Headers.Keys);
    }

    [Fact]
    public void Kernels_compile_to_a_cubin_for_sm_90()
    {
        foreach (var s in KernelSources.All)
        {
            var image = NvrtcCompiler.Default.Compile(s.Text, s.File, KernelSources.Headers, GpuArch.Parse("sm_90"), KernelSources.Options);
            Assert.True(image.Image.Length > 1000, s.File);
            Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, image.Image[..4]);
        }
    }

    [Fact]
    public void Position_and_blend_arithmetic_is_not_contracted_into_fused_multiply_adds()
    {
        // The CPU path rounds every product and sum; an FMA in the resampling kernels would break bit parity.
        var ptx = CompiledKernels.Ptx("resample", "compute_90");
        Assert.DoesNotContain("fma.rn", ptx);
        Assert.Contains("mul.rn.f64", ptx);
    }

    [Fact]
    public void A_broken_source_raises_the_compiler_log()
    {
        const string source = "extern \"C\" __global__ void broken(float* x)\n{\n    x[0] = undefined_name * 2.0f;\n}\n";
        var e = Assert.Throws<NvrtcCompileException>(() =>
            NvrtcCompiler.Default.Compile(source, "broken.cu", new Dictionary<string, string>(), GpuArch.Parse("compute_80"), []));
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
        Assert.Contains("undefined_name", e.Log);
        Assert.Contains("broken.cu(3)", e.Message);
        Assert.Contains("nvrtcCompileProgram", e.Message);
    }

    [Fact]
    public void An_architecture_nvrtc_does_not_know_is_an_invalid_option()
    {
        var e = Assert.Throws<NvrtcCompileException>(() =>
            NvrtcCompiler.Default.Compile("extern \"C\" __global__ void k() {}", "k.cu", new Dictionary<string, string>(), new GpuArch(12, IsReal: false), []));
        Assert.Equal("NVRTC_ERROR_INVALID_OPTION", e.ErrorName);
    }

    [Fact]
    public void The_supported_architectures_include_ampere_and_hopper()
    {
        var archs = NvrtcCompiler.Default.SupportedArchs();
        Assert.Contains(80, archs);
        Assert.Contains(90, archs);
        Assert.Matches(@"^\d+\.\d+$", NvrtcCompiler.Default.VersionText!);
    }
}
