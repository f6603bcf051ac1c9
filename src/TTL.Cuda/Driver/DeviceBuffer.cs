using System.Runtime.CompilerServices;

namespace TTL.Cuda.Driver;

/// <summary>A device address (CUdeviceptr); also what a kernel argument of pointer type is packed from.</summary>
public readonly record struct DevicePtr(ulong Address)
{
    public static readonly DevicePtr Null = new(0);

    public bool IsNull => Address == 0;

    /// <summary>The address <paramref name="elements"/> elements of <typeparamref name="T"/> further on.</summary>
    public DevicePtr Plus<T>(long elements) where T : unmanaged => new(Address + (ulong)(elements * Unsafe.SizeOf<T>()));

    public override string ToString() => $"0x{Address:x}";
}

/// <summary>
/// Device memory holding <see cref="Length"/> values of <typeparamref name="T"/>, freed on dispose.
/// Copies go through a stream (the legacy default stream unless given); from pageable managed
/// memory the driver stages the data, so the source may be reused as soon as a call returns, and a
/// download has completed when it returns.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly PrimaryContext _context;
    private ulong _address;

    public DeviceBuffer(PrimaryContext context, long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        _context = context;
        Length = length;
        context.MakeCurrent();
        ulong a = 0;
        // A zero-byte allocation is an error in the driver; keep a null pointer instead.
        if (Bytes > 0) context.Driver.Check(context.Driver.cuMemAlloc(&a, (nuint)Bytes), $"cuMemAlloc_v2 ({Bytes} bytes)");
        _address = a;
    }

    /// <summary>A buffer holding a copy of <paramref name="values"/>.</summary>
    public DeviceBuffer(PrimaryContext context, ReadOnlySpan<T> values, CudaStream? stream = null) : this(context, values.Length) =>
        Upload(values, stream);

    public long Length { get; }

    public long Bytes => Length * Unsafe.SizeOf<T>();

    public DevicePtr Ptr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address == 0 && Length > 0, this);
            return new DevicePtr(_address);
        }
    }

    public void Upload(ReadOnlySpan<T> values, CudaStream? stream = null, long offset = 0)
    {
        CheckRange(offset, values.Length);
        if (values.Length == 0) return;
        _context.MakeCurrent();
        fixed (T* p = values)
            _context.Driver.Check(_context.Driver.cuMemcpyHtoDAsync(Ptr.Plus<T>(offset).Address, p, ByteCount(values.Length), (stream ?? CudaStream.Legacy).Handle), "cuMemcpyHtoDAsync_v2");
    }

    public void Download(Span<T> values, CudaStream? stream = null, long offset = 0)
    {
        CheckRange(offset, values.Length);
        if (values.Length == 0) return;
        _context.MakeCurrent();
        var s = stream ?? CudaStream.Legacy;
        fixed (T* p = values)
        {
            _context.Driver.Check(_context.Driver.cuMemcpyDtoHAsync(p, Ptr.Plus<T>(offset).Address, ByteCount(values.Length), s.Handle), "cuMemcpyDtoHAsync_v2");
            // Pageable copies are synchronous already; pinned ones would not be, and `fixed` ends here.
            s.Synchronize(_context.Driver);
        }
    }

    public T[] ToArray(CudaStream? stream = null)
    {
        var a = new T[Length];
        Download(a, stream);
        return a;
    }

    /// <summary>Copies <paramref name="count"/> values from another device address into this buffer.</summary>
    public void CopyFrom(DevicePtr source, long count, CudaStream? stream = null, long offset = 0)
    {
        CheckRange(offset, count);
        if (count == 0) return;
        _context.MakeCurrent();
        _context.Driver.Check(_context.Driver.cuMemcpyDtoDAsync(Ptr.Plus<T>(offset).Address, source.Address, ByteCount(count), (stream ?? CudaStream.Legacy).Handle), "cuMemcpyDtoDAsync_v2");
    }

    /// <summary>
    /// Bytes in <paramref name="count"/> elements, in 64 bits: a span of 2^29 doubles or more holds
    /// over 2^31 bytes, which an int product would wrap (a truncated or negative copy size).
    /// </summary>
    internal static nuint ByteCount(long count) => checked((nuint)count * (nuint)sizeof(T));

    /// <summary>Sets every byte to zero (0.0 for floating types).</summary>
    public void Clear(CudaStream? stream = null)
    {
        if (Bytes == 0) return;
        _context.MakeCurrent();
        _context.Driver.Check(_context.Driver.cuMemsetD8Async(Ptr.Address, 0, (nuint)Bytes, (stream ?? CudaStream.Legacy).Handle), "cuMemsetD8Async");
    }

    /// <summary>Sets every 32-bit word to <paramref name="bits"/> (for 4-byte types: a float's bit pattern, say).</summary>
    public void Fill32(uint bits, CudaStream? stream = null)
    {
        if (sizeof(T) % 4 != 0) throw new InvalidOperationException($"Fill32 needs a type whose size is a multiple of 4 bytes, not {typeof(T).Name}");
        if (Bytes == 0) return;
        _context.MakeCurrent();
        _context.Driver.Check(_context.Driver.cuMemsetD32Async(Ptr.Address, bits, (nuint)(Bytes / 4), (stream ?? CudaStream.Legacy).Handle), "cuMemsetD32Async");
    }

    private void CheckRange(long offset, long count)
    {
        if (offset < 0 || count < 0 || offset + count > Length)
            throw new ArgumentOutOfRangeException(nameof(count), $"[{offset}, {offset + count}) is outside a buffer of {Length}");
    }

    public void Dispose()
    {
        var a = Interlocked.Exchange(ref _address, 0);
        if (a == 0) return;
        _context.MakeCurrent();
        _context.Driver.Check(_context.Driver.cuMemFree(a), "cuMemFree_v2");
    }
}
