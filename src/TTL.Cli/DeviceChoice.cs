using TTL.Cuda;
using TTL.Cuda.Driver;

namespace TTL.Cli;

/// <summary>
/// What <c>--device</c> names for work that TTL.Cuda does (preprocessing, SVCCA): the CPU, or one
/// CUDA device, opened. <c>auto</c> takes cuda:0 when a GPU is present and the CPU otherwise; it
/// never takes the CUDA simulator, which runs only when named (<c>--device cuda</c> with
/// <c>TTL_CUDA_LIB_DIR</c> pointing at it) and then says so on stderr and in every report.
/// </summary>
public sealed class DeviceChoice : IDisposable
{
    private DeviceChoice(GpuDevice? gpu) => Gpu = gpu;

    public static DeviceChoice Cpu { get; } = new(null);

    /// <summary>The opened device; null for the CPU.</summary>
    public GpuDevice? Gpu { get; }

    public bool IsSimulated => Gpu?.Device.Driver.IsSimulator == true;

    /// <summary>"cpu", "cuda:0", or "cuda:0 (CUDA simulator)" for the reports.</summary>
    public string Name => Gpu is null ? "cpu" : $"cuda:{Gpu.Device.Ordinal}" + (IsSimulated ? " (CUDA simulator)" : "");

    /// <summary>Resolves <paramref name="text"/>; <paramref name="notes"/> (stderr) hears that a simulated device is no GPU.</summary>
    public static DeviceChoice Open(string text, TextWriter? notes)
    {
        TTL.Torch.Device requested;
        if (text.Trim() == "auto")
        {
            var d = CudaDriver.Default;
            if (!d.IsAvailable || d.IsSimulator) return Cpu;
            requested = TTL.Torch.Device.CUDA(0);
        }
        else
        {
            try { requested = TTL.Torch.Device.Parse(text); }
            catch (ArgumentException) { throw new UsageException($"--device {text}: expected cpu, auto, cuda or cuda:N"); }
        }
        if (!requested.IsCuda) return Cpu;
        var driver = CudaDriver.Default;
        if (!driver.IsAvailable) throw new CudaException($"--device {text}: {driver.Status}");
        int ordinal = Math.Max(0, requested.Index);
        if (ordinal >= driver.DeviceCount) throw new UsageException($"--device {text}: the driver reports {driver.DeviceCount} device(s)");
        var choice = new DeviceChoice(GpuDevice.Open(ordinal));
        if (choice.IsSimulated) notes?.WriteLine($"note: {choice.Name}: {driver.SimulatorIdentity}");
        return choice;
    }

    public void Dispose() => Gpu?.Dispose();
}
