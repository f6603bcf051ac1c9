using TTL.Cuda.Driver;

namespace TTL.Cuda.Tests;

/// <summary>
/// A test that needs a CUDA device: reported as skipped (with the driver's reason) where the
/// driver API finds none, never passed without running. GPU test classes also carry
/// <c>[Trait("Category", "Gpu")]</c> so the device workflow can run exactly them.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (!CudaDriver.Default.IsAvailable) Skip = "no CUDA device: " + CudaDriver.Default.Status;
    }
}
