namespace TTL.Cuda.Driver;

/// <summary>
/// The device's primary context, retained for as long as this object lives. It is the context
/// the CUDA runtime (and so libtorch) uses on that device, which is what lets libtorch's tensors
/// and this toolkit's buffers and kernels share memory without copies. The driver API needs a
/// current context per thread, so every operation calls <see cref="MakeCurrent"/> first (cheap).
/// </summary>
public sealed unsafe class PrimaryContext : IDisposable
{
    private readonly CudaDriver _driver;
    private int _released;

    public PrimaryContext(CudaDevice device)
    {
        Device = device;
        _driver = device.Driver;
        IntPtr ctx;
        _driver.Check(_driver.cuDevicePrimaryCtxRetain(&ctx, device.Handle), "cuDevicePrimaryCtxRetain");
        Handle = ctx;
        MakeCurrent();
    }

    public CudaDevice Device { get; }

    /// <summary>The CUcontext.</summary>
    public IntPtr Handle { get; }

    internal CudaDriver Driver => _driver;

    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_released != 0, this);
        IntPtr current;
        _driver.Check(_driver.cuCtxGetCurrent(&current), "cuCtxGetCurrent");
        if (current != Handle) _driver.Check(_driver.cuCtxSetCurrent(Handle), "cuCtxSetCurrent");
    }

    public void Synchronize()
    {
        MakeCurrent();
        _driver.Check(_driver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>(free, total) device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        _driver.Check(_driver.cuMemGetInfo(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    public void Dispose()
    {
        // Releasing only drops our reference: libtorch's use of the same context is unaffected.
        if (Interlocked.Exchange(ref _released, 1) == 0)
            _driver.Check(_driver.cuDevicePrimaryCtxRelease(Device.Handle), "cuDevicePrimaryCtxRelease_v2");
    }
}
