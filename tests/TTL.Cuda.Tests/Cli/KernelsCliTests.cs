using System.Text.Json;
using TTL.Cuda.Driver;
using TTL.Cuda.Nvrtc;
using TTL.TestSupport;
using CliProcess = TTL.TestSupport.Cli;

namespace TTL.Cuda.Tests.Cli;

public sealed class KernelsCliTests
{
    [Fact]
    public void Kernels_build_json_reports_every_kernel_of_every_source()
    {
        using var tmp = new TempDir();
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = tmp.File("cache") };
        var r = CliProcess.Run(env, "kernels", "build", "--arch", "compute_80", "--arch", "sm_90", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(NvrtcCompiler.Default.VersionText, root.GetProperty("nvrtc").GetString());
        Assert.Equal(tmp.File(Path.Combine("cache", "ttl", "kernels")), root.GetProperty("cache_dir").GetString());
        var modules = root.GetProperty("modules").EnumerateArray().ToArray();
        Assert.Equal(2 * CompiledKernels.Entries.Count, modules.Length);
        foreach (var m in modules)
        {
            string source = Path.GetFileNameWithoutExtension(m.GetProperty("source").GetString()!);
            string arch = m.GetProperty("arch").GetString()!;
            Assert.Equal(arch.StartsWith("sm_") ? "cubin" : "ptx", m.GetProperty("image").GetString());
            Assert.True(m.GetProperty("image_bytes").GetInt64() > 1000);
            Assert.True(m.GetProperty("compile_ms").GetDouble() > 0);
            Assert.True(File.Exists(m.GetProperty("cache_file").GetString()), "the build warms the kernel cache");
            var kernels = m.GetProperty("kernels").EnumerateArray().ToArray();
            Assert.Equal(CompiledKernels.Entries[source].Order(), kernels.Select(k => k.GetProperty("name").GetString()!).Order());
            // With a driver (the GPU host's sm_90 loads both images) every kernel has its registers; without, none has. The
            // simulator reads them from the cubin NVRTC made; a PTX module's it cannot know (a driver compiles PTX at load).
            var d = CudaDriver.Default;
            bool known = d.IsAvailable && !(d.IsSimulator && arch.StartsWith("compute_"));
            foreach (var k in kernels)
                Assert.Equal(known ? JsonValueKind.Number : JsonValueKind.Null, k.GetProperty("registers").ValueKind);
        }
        if (CudaDriver.Default.IsSimulator) Assert.Contains("cubins (sm_XX) only", root.GetProperty("attributes_unavailable").GetString());
        else if (CudaDriver.Default.IsAvailable) Assert.Equal(JsonValueKind.Null, root.GetProperty("attributes_unavailable").ValueKind);
        else Assert.Contains("libcuda", root.GetProperty("attributes_unavailable").GetString());
    }

    [Fact]
    public void Kernels_build_text_says_why_registers_are_missing_and_emits_ptx()
    {
        using var tmp = new TempDir();
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = tmp.File("cache") };
        var r = CliProcess.Run(env, "kernels", "build", "--arch", "compute_90", "--emit-ptx", tmp.File("ptx"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("ttl_resample_linear", r.Stdout);
        if (!CudaDriver.Default.IsAvailable) Assert.Contains("registers and shared memory need a CUDA driver", r.Stdout);
        foreach (var source in CompiledKernels.Entries.Keys)
        {
            var ptx = File.ReadAllText(tmp.File(Path.Combine("ptx", $"{source}.compute_90.ptx")));
            Assert.Contains(".target sm_90", ptx);
        }
        Assert.Empty(Directory.GetFiles(tmp.File("ptx"), "*.tmp"));
    }

    [Theory]
    [InlineData("sm90")]
    [InlineData("compute_12")]
    public void A_bad_arch_is_a_usage_error(string arch)
    {
        var r = CliProcess.Run("kernels", "build", "--arch", arch, "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: --arch {arch}:", line);
    }

    [Fact]
    public void Info_json_lists_cuda_devices_and_libraries_through_the_driver_api()
    {
        var r = CliProcess.Run("info", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var cuda = doc.RootElement.GetProperty("cuda");
        Assert.Equal(CudaDriver.Default.IsAvailable, cuda.GetProperty("available").GetBoolean());
        Assert.Equal(CudaDriver.Default.DeviceCount, cuda.GetProperty("devices").GetArrayLength());
        Assert.Equal(NvrtcCompiler.Default.VersionText, cuda.GetProperty("nvrtc").GetString());
        Assert.Equal(CudaDriver.Default.Status, cuda.GetProperty("status").GetString());
        foreach (var key in new[] { "cublas", "cusolver", "driver", "libraries" }) Assert.True(cuda.TryGetProperty(key, out _), key);
        foreach (var d in cuda.GetProperty("devices").EnumerateArray())
        {
            Assert.Matches(@"^\d+\.\d+$", d.GetProperty("compute_capability").GetString()!);
            Assert.True(d.GetProperty("memory_bytes").GetInt64() > 0);
        }
    }
}

/// <summary>The CUDA simulator says what it is wherever a device shows, and is not timed.</summary>
[Trait("Category", "Gpu")]
public sealed class SimulatorCliTests
{
    [SimulatorFact]
    public void Info_names_the_simulated_device_and_libraries()
    {
        var r = CliProcess.Run("info", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var cuda = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("cuda");
        Assert.True(cuda.GetProperty("simulated").GetBoolean());
        Assert.Contains("not a GPU", cuda.GetProperty("simulator").GetString());
        Assert.Contains("simulator", cuda.GetProperty("devices")[0].GetProperty("name").GetString());
        Assert.Equal("simulated", cuda.GetProperty("cublas").GetString());
        Assert.Equal("simulated", cuda.GetProperty("cusolver").GetString());
        var text = CliProcess.Run("info");
        Assert.Contains("CUDA driver    simulated", text.Stdout);
    }

    [SimulatorFact]
    public void Bench_kernels_refuses_to_time_the_simulator()
    {
        var r = CliProcess.Run("bench", "kernels", "--device", "cuda", "--runs", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("so it is not timed", r.Stderr);
        Assert.Contains("(CUDA simulator)", r.Stderr);
    }

    [SimulatorFact]
    public void Auto_never_picks_the_simulator()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("pipeline.yaml"), "transforms:\n- name: zscore\n");
        Directory.CreateDirectory(tmp.File("in"));
        Imaging.NiftiWriter.Write(new Imaging.Volume(new float[27], 1, [3, 3, 3], new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } }), tmp.File("in/a.nii.gz"));
        var r = CliProcess.Run("preprocess", "--data", tmp.File("in"), "--pipeline", tmp.File("pipeline.yaml"), "--out", tmp.File("out"), "--device", "auto", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("cpu", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("device").GetString());
    }
}
