using System.Runtime.InteropServices;
using TTL.Torch.Native;

namespace TTL.Torch;

/// <summary>
/// The PyTorch-style entry point: <c>torch.zeros</c>, <c>torch.cat</c>, <c>torch.no_grad()</c>,
/// <c>torch.nn.functional.conv3d</c>, … (TorchSharp uses the same shape).
/// </summary>
public static partial class torch
{
    // ---- creation -------------------------------------------------------------------------

    public static Tensor zeros(long[] size, DType dtype = DType.Float32, Device? device = null, bool requires_grad = false) =>
        Grad(Aten.zeros.Call(size, dtype, Arg.None, device), requires_grad);
    public static Tensor zeros(params long[] size) => zeros(size, DType.Float32);
    public static Tensor ones(long[] size, DType dtype = DType.Float32, Device? device = null, bool requires_grad = false) =>
        Grad(Aten.ones.Call(size, dtype, Arg.None, device), requires_grad);
    public static Tensor ones(params long[] size) => ones(size, DType.Float32);
    public static Tensor full(long[] size, double value, DType dtype = DType.Float32, Device? device = null) =>
        Aten.full.Call(size, value, dtype, Arg.None, device);
    public static Tensor empty(long[] size, DType dtype = DType.Float32, Device? device = null) =>
        Aten.empty.Call(size, dtype, Arg.None, device);
    public static Tensor arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null) =>
        dtype.IsFloatingPoint()
            ? Aten.arange.Call(start, end, step, dtype, Arg.None, device)
            : Aten.arange.Call((long)start, (long)end, (long)step, dtype, Arg.None, device);
    public static Tensor arange(long end) => arange(0, end);
    public static Tensor linspace(double start, double end, long steps, DType dtype = DType.Float32, Device? device = null) =>
        Aten.linspace.Call(start, end, steps, dtype, Arg.None, device);
    /// <summary>Uniform on [0, 1).</summary>
    public static Tensor rand(long[] size, DType dtype = DType.Float32, Device? device = null) =>
        Aten.rand.Call(size, dtype, Arg.None, device);
    public static Tensor rand(params long[] size) => rand(size, DType.Float32);
    /// <summary>Standard normal.</summary>
    public static Tensor randn(long[] size, DType dtype = DType.Float32, Device? device = null) =>
        Aten.randn.Call(size, dtype, Arg.None, device);
    public static Tensor randn(params long[] size) => randn(size, DType.Float32);
    /// <summary>Integers uniform on [low, high).</summary>
    public static Tensor randint(long low, long high, long[] size, DType dtype = DType.Int64, Device? device = null) =>
        Aten.randint.Call(low, high, size, dtype, Arg.None, device);
    public static Tensor randperm(long n, DType dtype = DType.Int64) => Aten.randperm.Call(n, dtype);
    public static Tensor eye(long n, DType dtype = DType.Float32) => Aten.eye.Call(n, dtype);
    public static Tensor zeros_like(Tensor t) => Aten.zeros_like.Call(t);
    public static Tensor ones_like(Tensor t) => Aten.ones_like.Call(t);
    public static Tensor full_like(Tensor t, double value) => Aten.full_like.Call(t, value);
    public static Tensor rand_like(Tensor t) => Aten.rand_like.Call(t);
    public static Tensor randn_like(Tensor t) => Aten.randn_like.Call(t);

    /// <summary>A new CPU tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        var dtype = Tensor.DTypeOf<T>() ?? throw new ArgumentException($"no tensor dtype for {typeof(T).Name}");
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != data.Length) throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {n} elements, data has {data.Length}");
        return FromBytes(MemoryMarshal.AsBytes(data), dtype, shape);
    }

    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged => tensor((ReadOnlySpan<T>)data, shape);

    /// <summary>A scalar (0-dimensional) tensor.</summary>
    public static Tensor scalar_tensor(double value, DType dtype = DType.Float32) => full([], value, dtype);

    /// <summary>A new CPU tensor from raw little-endian bytes of the given dtype and shape.</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, DType dtype, long[] shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n * dtype.ElementSize() != bytes.Length)
            throw new ArgumentException($"{bytes.Length} bytes do not hold [{string.Join(", ", shape)}] of {dtype.Name()}");
        NativeMethods.EnsureLoaded();
        fixed (byte* p = bytes)
        fixed (long* s = shape)
        {
            NativeMethods.Check(NativeMethods.ttl_tensor_from_data(p, s, shape.Length, (int)dtype, out var h));
            return new Tensor(h);
        }
    }

    // ---- joining and selection --------------------------------------------------------------

    public static Tensor cat(Tensor[] tensors, long dim = 0) => Aten.cat.Call(tensors, dim);
    public static Tensor stack(Tensor[] tensors, long dim = 0) => Aten.stack.Call(tensors, dim);
    public static Tensor where(Tensor condition, Tensor x, Tensor y) => Aten.where.Call(condition, x, y);
    public static Tensor einsum(string equation, params Tensor[] operands) => Aten.einsum.Call(equation, operands);
    public static Tensor matmul(Tensor a, Tensor b) => Aten.matmul.Call(a, b);
    public static Tensor mm(Tensor a, Tensor b) => Aten.mm.Call(a, b);
    public static Tensor bmm(Tensor a, Tensor b) => Aten.bmm.Call(a, b);
    public static Tensor maximum(Tensor a, Tensor b) => Aten.maximum.Call(a, b);
    public static Tensor minimum(Tensor a, Tensor b) => Aten.minimum.Call(a, b);

    // ---- runtime --------------------------------------------------------------------------

    public static string version
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return Marshal.PtrToStringUTF8(NativeMethods.ttl_torch_version()) ?? "";
        }
    }

    /// <summary>Seeds libtorch's CPU and CUDA generators.</summary>
    public static void manual_seed(long seed)
    {
        NativeMethods.EnsureLoaded();
        NativeMethods.Check(NativeMethods.ttl_manual_seed(unchecked((ulong)seed)));
    }

    /// <summary>Intra-op threads. libtorch starts with 1 on some hosts, so the toolkit always sets it.</summary>
    public static void set_num_threads(int n)
    {
        NativeMethods.EnsureLoaded();
        NativeMethods.ttl_set_num_threads(n);
    }

    public static int get_num_threads()
    {
        NativeMethods.EnsureLoaded();
        return NativeMethods.ttl_get_num_threads();
    }

    /// <summary>A scope that disposes every tensor created inside it (see <see cref="DisposeScope"/>).</summary>
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Turns gradient recording off until the returned scope is disposed.</summary>
    public static GradModeScope no_grad() => new(false);

    public static GradModeScope enable_grad() => new(true);

    public static GradModeScope set_grad_enabled(bool enabled) => new(enabled);

    /// <summary>
    /// torch.autocast: until the returned scope is disposed, operations on <paramref name="device"/>'s
    /// type that autocast lists (convolutions, matrix products) run in <paramref name="dtype"/>
    /// (bfloat16 or float16), the rest in float32. Per thread, nestable.
    /// </summary>
    public static AutocastScope autocast(Device device, DType dtype) => new(device, dtype);

    public static bool is_grad_enabled()
    {
        NativeMethods.EnsureLoaded();
        return NativeMethods.ttl_is_grad_enabled() != 0;
    }

    public static class cuda
    {
        public static bool is_available() => device_count() > 0;

        public static int device_count()
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.ttl_cuda_device_count();
        }

        public static void synchronize(int device = 0) => NativeMethods.Check(NativeMethods.ttl_cuda_synchronize(device));
    }

    public static class autograd
    {
        /// <summary>Gradients of outputs with respect to inputs (torch.autograd.grad); null where unused.</summary>
        public static unsafe Tensor?[] grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? grad_outputs = null,
            bool retain_graph = false, bool create_graph = false, bool allow_unused = false)
        {
            var outs = outputs.Select(t => t.Handle).ToArray();
            var gouts = (grad_outputs ?? new Tensor?[outputs.Length]).Select(t => t?.Handle ?? IntPtr.Zero).ToArray();
            var ins = inputs.Select(t => t.Handle).ToArray();
            var result = new IntPtr[inputs.Length];
            fixed (IntPtr* po = outs, pg = gouts, pi = ins, pr = result)
                NativeMethods.Check(NativeMethods.ttl_autograd_grad(po, pg, outs.Length, pi, ins.Length,
                    retain_graph ? 1 : 0, create_graph ? 1 : 0, allow_unused ? 1 : 0, pr));
            GC.KeepAlive(outputs);
            GC.KeepAlive(inputs);
            GC.KeepAlive(grad_outputs);
            return result.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
        }
    }

    /// <summary>Build flags of the libtorch in use.</summary>
    public static (bool Cuda, bool MklDnn, bool OpenMP, bool Mkl) build_flags()
    {
        NativeMethods.EnsureLoaded();
        NativeMethods.Check(NativeMethods.ttl_build_flags(out int c, out int d, out int o, out int m));
        return (c != 0, d != 0, o != 0, m != 0);
    }

    private static Tensor Grad(Tensor t, bool requiresGrad) => requiresGrad ? t.requires_grad_() : t;
}

/// <summary>Sets autograd's recording mode for this thread until disposed, then restores it.</summary>
public sealed class GradModeScope : IDisposable
{
    private readonly bool _previous;
    private bool _disposed;

    internal GradModeScope(bool enabled)
    {
        NativeMethods.EnsureLoaded();
        _previous = NativeMethods.ttl_set_grad_enabled(enabled ? 1 : 0) != 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMethods.ttl_set_grad_enabled(_previous ? 1 : 0);
    }
}

/// <summary>An autocast region (see <see cref="torch.autocast"/>); disposing it restores the previous state.</summary>
public sealed class AutocastScope : IDisposable
{
    private readonly int _device, _previousEnabled, _previousDtype;
    private bool _disposed;

    internal AutocastScope(Device device, DType dtype)
    {
        if (dtype is not (DType.BFloat16 or DType.Float16)) throw new ArgumentException($"autocast runs in bfloat16 or float16, not {dtype}");
        NativeMethods.EnsureLoaded();
        _device = (int)device.Type;
        NativeMethods.Check(NativeMethods.ttl_autocast_enter(_device, (int)dtype, out _previousEnabled, out _previousDtype));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMethods.Check(NativeMethods.ttl_autocast_exit(_device, _previousEnabled, _previousDtype));
    }
}
