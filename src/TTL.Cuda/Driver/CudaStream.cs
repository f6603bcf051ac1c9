namespace TTL.Cuda.Driver;

/// <summary>
/// A CUDA stream. <see cref="Legacy"/> is the legacy default stream (handle 0), which is also
/// libtorch's default stream: work queued on it is ordered with libtorch's own kernels, so a
/// tensor produced by one side is ready for the other without extra synchronisation.
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly CudaDriver? _driver;
    private readonly bool _owned;

    private CudaStream(CudaDriver? driver, IntPtr handle, bool owned)
    {
        _driver = driver;
        Handle = handle;
        _owned = owned;
    }

    public static CudaStream Legacy { get; } = new(null, IntPtr.Zero, owned: false);

    /// <summary>Wraps a stream created elsewhere (libtorch's current stream, say) without owning it.</summary>
    public static CudaStream Borrow(IntPtr handle) => new(null, handle, owned: false);

    /// <summary>A new stream; non-blocking ones do not synchronise with the legacy default stream.</summary>
    public static CudaStream Create(PrimaryContext context, bool nonBlocking = true)
    {
        context.MakeCurrent();
        IntPtr s;
        context.Driver.Check(context.Driver.cuStreamCreate(&s, nonBlocking ? 1u : 0u), "cuStreamCreate");
        return new CudaStream(context.Driver, s, owned: true);
    }

    public IntPtr Handle { get; }

    /// <summary>Waits for the stream; the legacy stream is the one of the calling thread's current context (make it current first).</summary>
    public void Synchronize(CudaDriver? driver = null)
    {
        var d = _driver ?? driver ?? CudaDriver.Default;
        d.Check(d.cuStreamSynchronize(Handle), "cuStreamSynchronize");
    }

    public void Dispose()
    {
        if (_owned && _driver is not null) _driver.Check(_driver.cuStreamDestroy(Handle), "cuStreamDestroy_v2");
    }
}

/// <summary>A CUDA event, for timing work on a stream (milliseconds between two recorded events).</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly CudaDriver _driver;

    public CudaEvent(PrimaryContext context)
    {
        context.MakeCurrent();
        _driver = context.Driver;
        IntPtr e;
        _driver.Check(_driver.cuEventCreate(&e, 0), "cuEventCreate");
        Handle = e;
    }

    public IntPtr Handle { get; }

    public void Record(CudaStream stream) => _driver.Check(_driver.cuEventRecord(Handle, stream.Handle), "cuEventRecord");

    public void Synchronize() => _driver.Check(_driver.cuEventSynchronize(Handle), "cuEventSynchronize");

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and complete).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        float ms;
        _driver.Check(_driver.cuEventElapsedTime(&ms, start.Handle, Handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose() => _driver.Check(_driver.cuEventDestroy(Handle), "cuEventDestroy_v2");
}
