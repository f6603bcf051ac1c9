using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
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
    public sealed record CudaInfo(bool Available, int[] Devices, string? Nvrtc, string? Cublas, string? Cusolver);
    public sealed record Info(string Version, LibtorchInfo Libtorch, int Threads, string Dotnet, string Os, string Cpu, CudaInfo Cuda);

    public static Info Collect()
    {
        var flags = torch.build_flags();
        int count = torch.cuda.device_count();
        var cuda = new CudaInfo(count > 0, Enumerable.Range(0, count).ToArray(),
            NvrtcVersion(), Probe("libcublas.so.13", "libcublas.so.12", "libcublas.so.11"),
            Probe("libcusolver.so.12", "libcusolver.so.11"));
        return new Info(ToolkitVersion(), new LibtorchInfo(torch.version, flags.Cuda, flags.MklDnn, flags.OpenMP, flags.Mkl),
            torch.get_num_threads(), RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            BenchCommand.CpuName(), cuda);
    }

    public static string ToolkitVersion() =>
        typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static void Print(Info i)
    {
        Console.WriteLine($"TTL.Volumetric {i.Version}");
        Console.WriteLine($"libtorch       {i.Libtorch.Version} (cuda: {YesNo(i.Libtorch.Cuda)}, oneDNN/MKL-DNN: {YesNo(i.Libtorch.Mkldnn)}, OpenMP: {YesNo(i.Libtorch.Openmp)}, MKL: {YesNo(i.Libtorch.Mkl)})");
        Console.WriteLine($"threads        {i.Threads}");
        Console.WriteLine($".NET           {i.Dotnet} on {i.Os}");
        Console.WriteLine($"CPU            {i.Cpu}");
        Console.WriteLine($"CUDA devices   {(i.Cuda.Available ? string.Join(", ", i.Cuda.Devices.Select(d => $"cuda:{d}")) : "none")}");
        Console.WriteLine($"NVRTC          {i.Cuda.Nvrtc ?? "not found"}");
        Console.WriteLine($"cuBLAS         {i.Cuda.Cublas ?? "not found"}");
        Console.WriteLine($"cuSOLVER       {i.Cuda.Cusolver ?? "not found"}");
    }

    private static string YesNo(bool b) => b ? "yes" : "no";

    /// <summary>The first of the given libraries that loads, by name, or null.</summary>
    private static string? Probe(params string[] names)
    {
        foreach (var n in names)
            if (NativeLibrary.TryLoad(n, out var h)) { NativeLibrary.Free(h); return n; }
        return null;
    }


    /// <summary>NVRTC's own version ("11.8") when a libnvrtc loads, else null.</summary>
    private static unsafe string? NvrtcVersion()
    {
        foreach (var n in new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" })
        {
            if (!NativeLibrary.TryLoad(n, out var h)) continue;
            try
            {
                if (!NativeLibrary.TryGetExport(h, "nvrtcVersion", out var fn)) continue;
                int major, minor;
                var f = (delegate* unmanaged<int*, int*, int>)fn;
                if (f(&major, &minor) == 0) return $"{major}.{minor}";
            }
            finally { NativeLibrary.Free(h); }
        }
        return null;
    }
}
