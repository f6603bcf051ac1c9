namespace TTL.Cuda.Driver;

/// <summary>
/// A CUDA stream. <see cref="Legacy"/> is the legacy default stream (handle 0), which is also
/// libtorch's default stream: work queued on it is ordered with libtorch's own kernels, so a
/// tensor produced by one side is ready for the other without extra synchronisation.
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly PrimaryContext? _context; // set only for streams this object created and destroys
    private bool _destroyed;

    private CudaStream(PrimaryContext? context, IntPtr handle)
    {
        _context = context;
        Handle = handle;
    }

    public static CudaStream Legacy { get; } = new(null, IntPtr.Zero);

    /// <summary>Wraps a stream created elsewhere (libtorch's current stream, say) without owning it.</summary>
    public static CudaStream Borrow(IntPtr handle) => new(null, handle);

    /// <summary>A new stream; non-blocking ones do not synchronise with the legacy default stream.</summary>
    public static CudaStream Create(PrimaryContext context, bool nonBlocking = true)
    {
        context.MakeCurrent();
        IntPtr s;
        context.Driver.Check(context.Driver.cuStreamCreate(&s, nonBlocking ? 1u : 0u), "cuStreamCreate");
        return new CudaStream(context, s);
    }

    public IntPtr Handle { get; }

    /// <summary>Waits for the stream; the legacy stream is the one of the calling thread's current context (make it current first).</summary>
    public void Synchronize(CudaDriver? driver = null)
    {
        _context?.MakeCurrent();
        var d = _context?.Driver ?? driver ?? CudaDriver.Default;
        d.Check(d.cuStreamSynchronize(Handle), "cuStreamSynchronize");
    }

    public void Dispose()
    {
        // In the context the stream belongs to: Dispose may run on a thread with no current context.
        if (_context is null || _destroyed) return;
        _destroyed = true;
        _context.MakeCurrent();
        _context.Driver.Check(_context.Driver.cuStreamDestroy(Handle), "cuStreamDestroy_v2");
    }
}

/// <summary>A CUDA event, for timing work on a stream (milliseconds between two recorded events).</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    // Every call makes the context current first: cuEventRecord on the legacy stream means the
    // legacy stream of the calling thread's current context, and a thread without one fails with
    // CUDA_ERROR_INVALID_CONTEXT.
    private readonly PrimaryContext _context;
    private readonly CudaDriver _driver;
    private bool _destroyed;

    public CudaEvent(PrimaryContext context)
    {
        _context = context;
        _driver = context.Driver;
        context.MakeCurrent();
        IntPtr e;
        _driver.Check(_driver.cuEventCreate(&e, 0), "cuEventCreate");
        Handle = e;
    }

    public IntPtr Handle { get; }

    public void Record(CudaStream stream)
    {
        _context.MakeCurrent();
        _driver.Check(_driver.cuEventRecord(Handle, stream.Handle), "cuEventRecord");
    }

    public void Synchronize()
    {
        _context.MakeCurrent();
        _driver.Check(_driver.cuEventSynchronize(Handle), "cuEventSynchronize");
    }

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and complete).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        _context.MakeCurrent();
        float ms;
        _driver.Check(_driver.cuEventElapsedTime(&ms, start.Handle, Handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        if (_destroyed) return;
        _destroyed = true;
        _context.MakeCurrent();
        _driver.Check(_driver.cuEventDestroy(Handle), "cuEventDestroy_v2");
    }
}
