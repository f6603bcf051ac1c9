using System.Reflection;
using System.Runtime.InteropServices;

namespace TTL.Torch.Native;

/// <summary>
/// Entry points of the C ABI shim (native/torch/ttl_torch.cpp). Fallible calls return 0 on
/// success; on failure the shim's thread-local message is turned into a TorchException.
/// </summary>
internal static unsafe class NativeMethods
{
    internal const string Lib = "ttl_torch";

    static NativeMethods()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
    }

    /// <summary>Forces the resolver to be installed before the first P/Invoke.</summary>
    internal static void EnsureLoaded() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        foreach (var candidate in Candidates())
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        // Last chance: let the loader search its usual paths; the error names what is missing.
        if (NativeLibrary.TryLoad("libttl_torch.so", out var h)) return h;
        throw new DllNotFoundException(
            "libttl_torch.so not found: build it with build/native, or set TTL_NATIVE_DIR to its folder");
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("TTL_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) yield return Path.Combine(env, "libttl_torch.so");
        yield return Path.Combine(AppContext.BaseDirectory, "libttl_torch.so");
        // A development tree: out/native at the repository root above the build output.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "out", "native", "libttl_torch.so");
    }

    internal static void Check(int status)
    {
        if (status != 0) throw new TorchException(Marshal.PtrToStringUTF8(ttl_last_error()) ?? "unknown libtorch error");
    }

    [DllImport(Lib)] internal static extern IntPtr ttl_last_error();
    [DllImport(Lib)] internal static extern IntPtr ttl_torch_version();
    [DllImport(Lib)] internal static extern int ttl_build_flags(out int cuda, out int mkldnn, out int openmp, out int mkl);
    [DllImport(Lib)] internal static extern int ttl_cuda_device_count();
    [DllImport(Lib)] internal static extern int ttl_cuda_synchronize(int device);
    [DllImport(Lib)] internal static extern void ttl_set_num_threads(int n);
    [DllImport(Lib)] internal static extern int ttl_get_num_threads();
    [DllImport(Lib)] internal static extern int ttl_manual_seed(ulong seed);
    [DllImport(Lib)] internal static extern int ttl_set_grad_enabled(int enabled);
    [DllImport(Lib)] internal static extern int ttl_autocast_enter(int device, int dtype, out int prevEnabled, out int prevDtype);
    [DllImport(Lib)] internal static extern int ttl_autocast_exit(int device, int prevEnabled, int prevDtype);
    [DllImport(Lib)] internal static extern int ttl_is_grad_enabled();
    [DllImport(Lib)] internal static extern void ttl_free_array(IntPtr p, int tag);

    [DllImport(Lib)] internal static extern int ttl_op_find(byte* name, byte* overload, out IntPtr handle);
    [DllImport(Lib)] internal static extern int ttl_op_schema(IntPtr handle, byte* buffer, int size);
    [DllImport(Lib)] internal static extern int ttl_op_call(IntPtr handle, Value* args, int nargs, Value* outs, int maxOuts, out int nouts);

    [DllImport(Lib)] internal static extern int ttl_binary(int op, IntPtr a, IntPtr b, double alpha, out IntPtr result);
    [DllImport(Lib)] internal static extern int ttl_binary_scalar(int op, IntPtr a, double value, int isIntegral, out IntPtr result);

    [DllImport(Lib)] internal static extern void ttl_tensor_free(IntPtr t);
    [DllImport(Lib)] internal static extern IntPtr ttl_tensor_alias(IntPtr t);
    [DllImport(Lib)] internal static extern long ttl_tensor_dim(IntPtr t);
    [DllImport(Lib)] internal static extern long ttl_tensor_numel(IntPtr t);
    [DllImport(Lib)] internal static extern void ttl_tensor_sizes(IntPtr t, long* output);
    [DllImport(Lib)] internal static extern void ttl_tensor_strides(IntPtr t, long* output);
    [DllImport(Lib)] internal static extern int ttl_tensor_dtype(IntPtr t);
    [DllImport(Lib)] internal static extern void ttl_tensor_device(IntPtr t, out int type, out int index);
    [DllImport(Lib)] internal static extern int ttl_tensor_is_contiguous(IntPtr t);
    [DllImport(Lib)] internal static extern int ttl_tensor_requires_grad(IntPtr t);
    [DllImport(Lib)] internal static extern int ttl_tensor_is_leaf(IntPtr t);
    [DllImport(Lib)] internal static extern int ttl_tensor_set_requires_grad(IntPtr t, int on);
    [DllImport(Lib)] internal static extern int ttl_tensor_from_data(void* data, long* shape, int ndim, int dtype, out IntPtr result);
    [DllImport(Lib)] internal static extern int ttl_tensor_copy_to(IntPtr t, void* dst, long nbytes);
    [DllImport(Lib)] internal static extern IntPtr ttl_tensor_data_ptr(IntPtr t);
    [DllImport(Lib)] internal static extern int ttl_tensor_to_string(IntPtr t, byte* buffer, int size);
    [DllImport(Lib)] internal static extern int ttl_tensor_grad(IntPtr t, out IntPtr grad);
    [DllImport(Lib)] internal static extern int ttl_tensor_set_grad(IntPtr t, IntPtr grad);
    [DllImport(Lib)] internal static extern int ttl_backward(IntPtr t, IntPtr grad, int retainGraph, int createGraph);
    [DllImport(Lib)] internal static extern int ttl_autograd_grad(IntPtr* outputs, IntPtr* gradOutputs, int nout, IntPtr* inputs, int nin,
        int retainGraph, int createGraph, int allowUnused, IntPtr* result);

    // c10d (native/torch/ttl_dist.cpp)
    [DllImport(Lib)] internal static extern int ttl_dist_available();
    [DllImport(Lib)] internal static extern int ttl_store_tcp(byte* host, int port, int worldSize, int isServer, long timeoutMs, out IntPtr store);
    [DllImport(Lib)] internal static extern void ttl_store_free(IntPtr store);
    [DllImport(Lib)] internal static extern int ttl_store_set(IntPtr store, byte* key, byte* data, long len);
    [DllImport(Lib)] internal static extern int ttl_store_get(IntPtr store, byte* key, out IntPtr data, out long len);
    [DllImport(Lib)] internal static extern void ttl_dist_free_bytes(IntPtr data);
    [DllImport(Lib)] internal static extern int ttl_store_add(IntPtr store, byte* key, long delta, out long value);
    [DllImport(Lib)] internal static extern int ttl_store_check(IntPtr store, byte** keys, int n, out int present);
    [DllImport(Lib)] internal static extern int ttl_pg_gloo(IntPtr store, int rank, int size, long timeoutMs, byte* iface, byte* hostname, int threads, out IntPtr group);
    [DllImport(Lib)] internal static extern void ttl_pg_free(IntPtr group);
    [DllImport(Lib)] internal static extern int ttl_pg_allreduce(IntPtr group, IntPtr tensor, int op, out IntPtr work);
    [DllImport(Lib)] internal static extern int ttl_pg_broadcast(IntPtr group, IntPtr tensor, int root, out IntPtr work);
    [DllImport(Lib)] internal static extern int ttl_pg_barrier(IntPtr group, out IntPtr work);
    [DllImport(Lib)] internal static extern int ttl_work_wait(IntPtr work);
    [DllImport(Lib)] internal static extern void ttl_work_free(IntPtr work);
    [DllImport(Lib)] internal static extern int ttl_dist_all_reduce_autograd(IntPtr group, IntPtr tensor, out IntPtr result);
}
