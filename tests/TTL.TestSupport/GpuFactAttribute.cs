using TTL.Cuda.Driver;
using Xunit;

namespace TTL.TestSupport;

/// <summary>
/// A test that needs a CUDA device: a GPU, or the CUDA simulator (native/cudasim) when
/// <c>TTL_CUDA_LIB_DIR</c> points at it, as build/test does. Without either it is reported as
/// skipped with the driver's reason, never passed without running; with
/// <c>TTL_REQUIRE_GPU_TESTS=1</c> (build/test, build/device-check) a missing device fails it
/// instead, so a run that was meant to exercise the GPU code cannot pass by skipping it. GPU test
/// classes also carry <c>[Trait("Category", "Gpu")]</c> so the device workflow can run exactly them.
/// </summary>
public class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (CudaDriver.Default.IsAvailable) return;
        if (Environment.GetEnvironmentVariable("TTL_REQUIRE_GPU_TESTS") == "1") return; // runs, and fails opening the device
        Skip = "no CUDA device: " + CudaDriver.Default.Status + $" (set {TTL.Cuda.Native.LibraryProbe.DirVariable}=out/native/cudasim to run on the CUDA simulator)";
    }
}

/// <summary>
/// A GPU test that also needs libtorch built with CUDA (tensors on the device): it runs on a GPU
/// host whose shim is built against a CUDA libtorch, and is skipped, saying so, elsewhere; the CPU
/// libtorch of Debian cannot make CUDA tensors, with or without the simulator.
/// </summary>
public sealed class GpuTorchFactAttribute : GpuFactAttribute
{
    public GpuTorchFactAttribute()
    {
        if (Skip is null && !TTL.Torch.torch.cuda.is_available())
            Skip = $"needs libtorch with CUDA; this one ({TTL.Torch.torch.version}) is a CPU build";
    }
}

/// <summary>
/// A GPU test of the simulator's own model (a fault it reports where a GPU's behaviour is undefined,
/// or a race it exposes deterministically): it runs on the simulator and is skipped on a GPU.
/// </summary>
public sealed class SimulatorFactAttribute : GpuFactAttribute
{
    public SimulatorFactAttribute()
    {
        if (Skip is null && CudaDriver.Default.IsAvailable && !CudaDriver.Default.IsSimulator)
            Skip = "tests the CUDA simulator's model; on a GPU the behaviour it checks is undefined or timing-dependent";
    }
}
