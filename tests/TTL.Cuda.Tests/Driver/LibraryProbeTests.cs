using TTL.Cuda.Driver;
using TTL.Cuda.Native;
using TTL.Cuda.Nvrtc;
using TTL.TestSupport;

namespace TTL.Cuda.Tests.Driver;

public sealed class LibraryProbeTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void A_library_in_TTL_CUDA_LIB_DIR_is_taken_from_there()
    {
        // A CUDA 12 soname in the override folder, pointing at this host's NVRTC file, wins over the system's.
        string real = LoadedFile("libnvrtc");
        using var tmp = new TempDir();
        var link = tmp.File("libnvrtc.so.12");
        File.CreateSymbolicLink(link, real);
        var lib = LibraryProbe.Load(LibraryProbe.Nvrtc, Env((LibraryProbe.DirVariable, "/nonexistent:" + tmp.Path)));
        Assert.True(lib.IsLoaded, lib.Absence);
        Assert.Equal(link, lib.Path);
        Assert.Equal(NvrtcCompiler.Default.VersionText, new NvrtcCompiler(lib).VersionText);
    }

    [Fact]
    public void A_library_found_by_path_has_its_companions_loaded_from_its_folder_first()
    {
        // A wheel's libnvrtc.so.13 has no RUNPATH: the libnvrtc-builtins beside it must be loaded
        // before the first compile, or NVRTC fails with NVRTC_ERROR_BUILTIN_OPERATION_FAILURE.
        string real = LoadedFile("libnvrtc");
        string builtins = Directory.GetFiles(Path.GetDirectoryName(real)!, "libnvrtc-builtins.so.1*").Order(StringComparer.Ordinal).First();
        using var tmp = new TempDir();
        File.CreateSymbolicLink(tmp.File("libnvrtc.so.12"), real);
        var companion = tmp.File(Path.GetFileName(builtins));
        File.CreateSymbolicLink(companion, builtins);
        var lib = LibraryProbe.Load(LibraryProbe.Nvrtc, Env((LibraryProbe.DirVariable, tmp.Path)));
        Assert.Equal(tmp.File("libnvrtc.so.12"), lib.Path);
        Assert.Equal([companion], lib.Preloaded);
        var image = new NvrtcCompiler(lib).Compile("extern \"C\" __global__ void k(float* x) { x[0] = sqrtf(x[1]); }", "k.cu",
            new Dictionary<string, string>(), GpuArch.Parse("compute_80"), []);
        Assert.Contains(".entry k", image.Ptx);

        // Found by soname, the system loader resolves its dependencies itself: nothing is preloaded.
        var system = LibraryProbe.Load(LibraryProbe.Nvrtc, Env());
        if (system.Path is { } p && !p.Contains('/')) Assert.Empty(system.Preloaded);
    }

    [Fact]
    public void A_missing_library_is_absent_with_every_place_tried()
    {
        using var tmp = new TempDir();
        var spec = new LibraryProbe.Spec("ttlmissing", ["libttlmissing.so.13", "libttlmissing.so.12"], [], SearchToolkits: true);
        var lib = LibraryProbe.Load(spec, Env((LibraryProbe.DirVariable, tmp.Path)));
        Assert.False(lib.IsLoaded);
        Assert.Null(lib.Path);
        Assert.Equal(IntPtr.Zero, lib.Export("anything"));
        Assert.Contains(tmp.Path + "/", lib.Tried);
        Assert.Contains("libttlmissing.so.13", lib.Tried);
        Assert.Contains("libttlmissing.so.12", lib.Absence);
        Assert.Contains(LibraryProbe.DirVariable, lib.Absence);
        var e = Assert.Throws<CudaException>(() => lib.Require("cuInit"));
        Assert.Contains("libttlmissing not found", e.Message);
    }

    [Fact]
    public void Without_a_driver_cuda_is_reported_absent_and_nothing_throws_until_used()
    {
        var absent = LibraryProbe.Load(LibraryProbe.Driver with { Files = ["libcuda-ttl-absent.so.1"] }, Env());
        var driver = new CudaDriver(absent);
        Assert.False(driver.IsAvailable);
        Assert.Equal(0, driver.DeviceCount);
        Assert.Null(driver.VersionText);
        Assert.StartsWith("no CUDA driver: libcuda not found", driver.Status);
        Assert.Empty(CudaDevice.All(driver));
        var e = Assert.Throws<CudaException>(() => CudaDevice.Get(0, driver));
        Assert.Equal(driver.Status, e.Message);
    }

    [Fact]
    public void The_library_folders_of_python_wheels_are_searched()
    {
        using var tmp = new TempDir();
        var site = Path.Combine(tmp.Path, "lib", "python3.12", "site-packages");
        var cublas = Directory.CreateDirectory(Path.Combine(site, "nvidia", "cublas", "lib")).FullName;
        var cu13 = Directory.CreateDirectory(Path.Combine(site, "nvidia", "cu13", "lib")).FullName;
        var torch = Directory.CreateDirectory(Path.Combine(site, "torch", "lib")).FullName;
        Directory.CreateDirectory(Path.Combine(site, "nvidia", "nolib"));
        var folders = LibraryProbe.PythonFolders(Env(("VIRTUAL_ENV", tmp.Path))).ToList();
        Assert.Contains(cublas, folders);
        Assert.Contains(cu13, folders);
        Assert.Contains(torch, folders);
        Assert.DoesNotContain(folders, f => f.Contains("nolib"));
    }

    [Fact]
    public void The_driver_is_never_taken_from_a_toolkit_folder()
    {
        // A toolkit's stubs/libcuda.so loads but cannot run; the probe must not go looking for it.
        Assert.False(LibraryProbe.Driver.SearchToolkits);
        Assert.True(LibraryProbe.Nvrtc.SearchToolkits && LibraryProbe.Cublas.SearchToolkits && LibraryProbe.Cusolver.SearchToolkits);
    }

    /// <summary>The file behind a library this process has loaded, from /proc/self/maps.</summary>
    private static string LoadedFile(string stem)
    {
        Assert.True(NvrtcCompiler.Default.IsAvailable, NvrtcCompiler.Default.Lib.Absence);
        var line = File.ReadLines("/proc/self/maps").First(l => (l.Contains("/" + stem + ".so") || l.Contains("/" + stem + "-")) && !l.Contains("builtins"));
        return line[line.IndexOf('/')..].Trim();
    }
}
