using System.Reflection;
using System.Runtime.InteropServices;
using TTL.Torch;

namespace TTL.Training;

/// <summary>What produced a run: toolkit, libtorch, .NET, CUDA.</summary>
public sealed record Versions(string Toolkit, string Libtorch, string Dotnet, bool Cuda, int CudaDevices)
{
    public static string ToolkitVersion =>
        typeof(Versions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Versions Current() =>
        new(ToolkitVersion, torch.version, RuntimeInformation.FrameworkDescription, torch.build_flags().Cuda, torch.cuda.device_count());
}
