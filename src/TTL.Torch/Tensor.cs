using System.Runtime.InteropServices;
using System.Text;
using TTL.Torch.Native;

namespace TTL.Torch;

/// <summary>
/// A libtorch tensor. Owns one native handle (a <see cref="TensorHandle"/>), released by
/// <see cref="Dispose"/>, by the dispose scope it was created in, or, as a last resort, by the
/// finalizer. Method names follow PyTorch's.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;

    /// <summary>The dispose scope that owns this tensor, if any.</summary>
    internal DisposeScope? Scope;

    internal Tensor(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw new TorchException("libtorch returned an undefined tensor");
        _handle = new TensorHandle(handle);
        Scope = DisposeScope.Current;
        Scope?.Add(this);
    }

    /// <summary>The raw at::Tensor* (valid while this object lives and is not disposed).</summary>
    internal IntPtr Handle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "the tensor has been disposed");
            return _handle.DangerousGetHandle();
        }
    }

    public bool IsDisposed => _handle.IsClosed;

    public void Dispose()
    {
        if (Scope is not null)
        {
            Scope.Remove(this);
            Scope = null;
        }
        _handle.Dispose();
    }

    /// <summary>Removes the tensor from its dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Remove(this);
        Scope = null;
        return this;
    }

    /// <summary>Moves the tensor to the scope enclosing its current one (or to none).</summary>
    public Tensor MoveToOuterDisposeScope() => Scope is null ? this : Scope.MoveToOuter(this);

    /// <summary>A new handle to the same tensor (same storage, same autograd identity).</summary>
    public Tensor alias() => new(NativeMethods.ttl_tensor_alias(Handle));

    // ---- metadata ---------------------------------------------------------------------------

    public long dim() => NativeMethods.ttl_tensor_dim(Handle);

    public long Dimensions => dim();

    public long numel() => NativeMethods.ttl_tensor_numel(Handle);

    public unsafe long[] shape
    {
        get
        {
            var s = new long[dim()];
            fixed (long* p = s) NativeMethods.ttl_tensor_sizes(Handle, p);
            return s;
        }
    }

    public long size(int dim)
    {
        var s = shape;
        return s[dim < 0 ? dim + s.Length : dim];
    }

    public unsafe long[] stride()
    {
        var s = new long[dim()];
        fixed (long* p = s) NativeMethods.ttl_tensor_strides(Handle, p);
        return s;
    }

    public DType dtype => (DType)NativeMethods.ttl_tensor_dtype(Handle);

    public Device device
    {
        get
        {
            NativeMethods.ttl_tensor_device(Handle, out int type, out int index);
            return new Device((DeviceType)type, index);
        }
    }

    public bool is_contiguous() => NativeMethods.ttl_tensor_is_contiguous(Handle) != 0;

    public bool is_leaf => NativeMethods.ttl_tensor_is_leaf(Handle) != 0;

    public bool requires_grad
    {
        get => NativeMethods.ttl_tensor_requires_grad(Handle) != 0;
        set => NativeMethods.Check(NativeMethods.ttl_tensor_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool on = true)
    {
        requires_grad = on;
        return this;
    }

    // ---- data -------------------------------------------------------------------------------

    /// <summary>Copies the elements (any device, any layout) into a new dense row-major array.</summary>
    public unsafe T[] data<T>() where T : unmanaged
    {
        CheckElementType<T>();
        var result = new T[numel()];
        fixed (T* p = result)
            NativeMethods.Check(NativeMethods.ttl_tensor_copy_to(Handle, p, (long)result.Length * sizeof(T)));
        return result;
    }

    /// <summary>Copies the elements into <paramref name="destination"/>, which must hold exactly numel() elements.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckElementType<T>();
        fixed (T* p = destination)
            NativeMethods.Check(NativeMethods.ttl_tensor_copy_to(Handle, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>The raw little-endian bytes of the elements, dense row-major (any dtype).</summary>
    public unsafe byte[] bytes()
    {
        var result = new byte[numel() * dtype.ElementSize()];
        fixed (byte* p = result) NativeMethods.Check(NativeMethods.ttl_tensor_copy_to(Handle, p, result.Length));
        return result;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        if (numel() != 1) throw new TorchException($"item: tensor has {numel()} elements, expected 1");
        double v = Aten.local_scalar_dense.CallScalar(this);
        return typeof(T) == typeof(bool) ? (T)(object)(v != 0) : (T)Convert.ChangeType(v, typeof(T));
    }

    /// <summary>
    /// A span over the elements of a contiguous CPU tensor, without copying. Valid while the
    /// tensor lives; writing through it bypasses autograd.
    /// </summary>
    public unsafe Span<T> AsSpan<T>() where T : unmanaged
    {
        CheckElementType<T>();
        if (device.IsCuda || !is_contiguous()) throw new TorchException("AsSpan needs a contiguous CPU tensor");
        return new Span<T>((void*)NativeMethods.ttl_tensor_data_ptr(Handle), checked((int)numel()));
    }

    /// <summary>
    /// Address of the first element (<c>Tensor::data_ptr</c>): host memory for a CPU tensor, a
    /// device address for a CUDA one, which TTL.Cuda kernels read through the tensor's strides. Valid
    /// while the tensor lives.
    /// </summary>
    public IntPtr data_ptr() => NativeMethods.ttl_tensor_data_ptr(Handle);

    private unsafe void CheckElementType<T>() where T : unmanaged
    {
        var expected = DTypeOf<T>();
        var actual = dtype;
        if (expected != actual && !(sizeof(T) == actual.ElementSize() && expected is null))
            throw new TorchException($"element type {typeof(T).Name} does not match the tensor's dtype {actual.Name()}");
    }

    /// <summary>The dtype that holds elements of T, or null for raw same-size types (e.g. Half as ushort).</summary>
    internal static DType? DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(int) ? DType.Int32 :
        typeof(T) == typeof(short) ? DType.Int16 :
        typeof(T) == typeof(byte) ? DType.UInt8 :
        typeof(T) == typeof(sbyte) ? DType.Int8 :
        typeof(T) == typeof(bool) ? DType.Bool :
        typeof(T) == typeof(Half) ? DType.Float16 :
        null;

    public override unsafe string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        return $"Tensor[{string.Join(", ", shape)}] {dtype.Name()} {device}";
    }

    /// <summary>The values as libtorch prints them.</summary>
    public unsafe string ToValuesString()
    {
        var buf = new byte[1 << 16];
        fixed (byte* b = buf) NativeMethods.Check(NativeMethods.ttl_tensor_to_string(Handle, b, buf.Length));
        return Encoding.UTF8.GetString(buf, 0, Array.IndexOf(buf, (byte)0));
    }

    // ---- autograd -------------------------------------------------------------------------

    /// <summary>The accumulated gradient, or null; a new handle the caller disposes.</summary>
    public Tensor? grad
    {
        get
        {
            NativeMethods.Check(NativeMethods.ttl_tensor_grad(Handle, out var g));
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
        set
        {
            NativeMethods.Check(NativeMethods.ttl_tensor_set_grad(Handle, value?.Handle ?? IntPtr.Zero));
            GC.KeepAlive(value);
        }
    }

    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false)
    {
        NativeMethods.Check(NativeMethods.ttl_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retain_graph ? 1 : 0, create_graph ? 1 : 0));
        GC.KeepAlive(gradient);
    }

    public Tensor detach() => Aten.detach.Call(this);
}
