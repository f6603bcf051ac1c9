using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using TTL.Cuda.Blas;
using TTL.Cuda.Driver;
using TTL.Cuda.Nvrtc;
using TTL.Cuda.Solver;
using TTL.Torch;

namespace TTL.Cli.Commands;

/// <summary>`ttl info`: versions, build flags, threads and what CUDA support is present.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var cmd = new Command("info", "versions (toolkit, libtorch, .NET), threads, CUDA devices and libraries") { json, threads };
        cmd.SetAction(pr =>
        {
            torch.set_num_threads(pr.GetValue(threads));
            var info = Collect();
            if (pr.GetValue(json)) CommonOptions.PrintJson(info);
            else Print(info);
            return 0;
        });
        return cmd;
    }

    public sealed record LibtorchInfo(string Version, bool Cuda, bool Mkldnn, bool Openmp, bool Mkl);
    public sealed record DeviceInfo(int Index, string Name, string ComputeCapability, long MemoryBytes, int Multiprocessors);
    /// <summary>Where each CUDA library was loaded from (null: not found).</summary>
    public sealed record CudaLibraries(string? Cuda, string? Nvrtc, string? Cublas, string? Cusolver);
    /// <summary><see cref="Simulated"/>: the driver is the toolkit's CUDA simulator (a test double on the host CPU), which <see cref="Simulator"/> describes.</summary>
    public sealed record CudaInfo(bool Available, DeviceInfo[] Devices, string? Nvrtc, string? Cublas, string? Cusolver, string? Driver, string Status,
        CudaLibraries Libraries, bool Simulated, string? Simulator);
    /// <summary>Which c10d process groups the native shim can create (Gloo: CPU data-parallel training).</summary>
    public sealed record DistributedInfo(bool Gloo, bool Nccl);
    public sealed record Info(string Version, LibtorchInfo Libtorch, int Threads, string Dotnet, string Os, string Cpu, CudaInfo Cuda, DistributedInfo Distributed);

    public static Info Collect()
    {
        var flags = torch.build_flags();
        return new Info(ToolkitVersion(), new LibtorchInfo(torch.version, flags.Cuda, flags.MklDnn, flags.OpenMP, flags.Mkl),
            torch.get_num_threads(), RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            BenchCommand.CpuName(), Cuda(), new DistributedInfo(torch.distributed.is_available(), Nccl: false));
    }

    /// <summary>Devices through the driver API and the libraries the probe found (TTL.Cuda's view, which the kernels use).</summary>
    private static CudaInfo Cuda()
    {
        var driver = CudaDriver.Default;
        var devices = CudaDevice.All(driver).Select(d =>
        {
            var (major, minor) = d.ComputeCapability;
            return new DeviceInfo(d.Ordinal, d.Name, $"{major}.{minor}", d.TotalMemoryBytes, d.Multiprocessors);
        }).ToArray();
        var nvrtc = NvrtcCompiler.Default;
        return new CudaInfo(driver.IsAvailable, devices, nvrtc.VersionText, Version(CublasLibrary.Lib, CublasLibrary.VersionText),
            Version(CusolverLibrary.Lib, CusolverLibrary.VersionText), driver.IsSimulator ? "simulated" : driver.VersionText, driver.Status,
            new CudaLibraries(driver.Lib.Path, nvrtc.Lib.Path, CublasLibrary.Lib.Path, CusolverLibrary.Lib.Path),
            driver.IsSimulator, driver.SimulatorIdentity);
    }

    /// <summary>A library's version, or "simulated" for the CUDA simulator's (which is no release of it).</summary>
    private static string? Version(TTL.Cuda.Native.NativeLib lib, string? version) => lib.Export("ttlsim_identity") != IntPtr.Zero ? "simulated" : version;

    public static string ToolkitVersion() =>
        typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static void Print(Info i)
    {
        Console.WriteLine($"TTL.Volumetric {i.Version}");
        Console.WriteLine($"libtorch       {i.Libtorch.Version} (cuda: {YesNo(i.Libtorch.Cuda)}, oneDNN/MKL-DNN: {YesNo(i.Libtorch.Mkldnn)}, OpenMP: {YesNo(i.Libtorch.Openmp)}, MKL: {YesNo(i.Libtorch.Mkl)})");
        Console.WriteLine($"threads        {i.Threads}");
        Console.WriteLine($".NET           {i.Dotnet} on {i.Os}");
        Console.WriteLine($"CPU            {i.Cpu}");
        Console.WriteLine(i.Cuda.Devices.Length == 0
            ? $"CUDA devices   none ({i.Cuda.Status})"
            : "CUDA devices   " + string.Join("; ", i.Cuda.Devices.Select(d => $"cuda:{d.Index} {d.Name} (compute {d.ComputeCapability}, {d.MemoryBytes / 1073741824.0:F1} GiB, {d.Multiprocessors} SMs)")));
        if (i.Cuda.Driver is not null) Console.WriteLine($"CUDA driver    {i.Cuda.Driver} ({i.Cuda.Libraries.Cuda})");
        if (i.Cuda.Simulator is not null) Console.WriteLine($"               {i.Cuda.Simulator}");
        Console.WriteLine($"NVRTC          {Found(i.Cuda.Nvrtc, i.Cuda.Libraries.Nvrtc)}");
        Console.WriteLine($"cuBLAS         {Found(i.Cuda.Cublas, i.Cuda.Libraries.Cublas)}");
        Console.WriteLine($"cuSOLVER       {Found(i.Cuda.Cusolver, i.Cuda.Libraries.Cusolver)}");
        Console.WriteLine($"c10d           Gloo: {YesNo(i.Distributed.Gloo)}, NCCL: {YesNo(i.Distributed.Nccl)}");
    }

    private static string Found(string? version, string? path) => version is null ? "not found" : $"{version} ({path})";

    private static string YesNo(bool b) => b ? "yes" : "no";
}
