using System.Runtime.InteropServices;
using TTL.Cuda.Native;

namespace TTL.Cuda.Driver;

/// <summary>
/// The CUDA driver API (<c>libcuda.so.1</c>), bound through function pointers resolved on first
/// use. Creating it never throws: without a driver (or without a device) <see cref="IsAvailable"/>
/// is false and <see cref="Status"/> says why; only a call that needs the driver throws.
/// </summary>
public sealed unsafe class CudaDriver
{
    private static readonly Lazy<CudaDriver> _default = new(() => new CudaDriver(LibraryProbe.Load(LibraryProbe.Driver)));

    /// <summary>The process's driver, probed once.</summary>
    public static CudaDriver Default => _default.Value;

    private readonly Lazy<(int Code, int Devices)> _init;
    private readonly Dictionary<string, IntPtr> _fns = new();

    internal CudaDriver(NativeLib lib)
    {
        Lib = lib;
        _init = new Lazy<(int, int)>(Initialize);
    }

    public NativeLib Lib { get; }

    /// <summary>A driver loaded, cuInit succeeded and at least one device is present.</summary>
    public bool IsAvailable => Lib.IsLoaded && _init.Value.Code == 0 && _init.Value.Devices > 0;

    /// <summary>Devices the driver reports (0 without a driver).</summary>
    public int DeviceCount => Lib.IsLoaded && _init.Value.Code == 0 ? _init.Value.Devices : 0;

    /// <summary>One line: which driver and how many devices, or why there are none.</summary>
    public string Status
    {
        get
        {
            if (!Lib.IsLoaded) return "no CUDA driver: " + Lib.Absence;
            var (code, devices) = _init.Value;
            if (code != 0) return $"CUDA driver at {Lib.Path} did not initialise: {Describe(code)}";
            if (IsSimulator) return $"CUDA simulator at {Lib.Path}: {devices} simulated device{(devices == 1 ? "" : "s")}, not a GPU";
            return $"CUDA driver {VersionText} at {Lib.Path}: {devices} device{(devices == 1 ? "" : "s")}";
        }
    }

    /// <summary>
    /// The simulator's description of itself when the library loaded is the toolkit's CUDA
    /// simulator (native/cudasim, a test double that runs the kernels on the host CPU), else null.
    /// It is never chosen silently: only <c>TTL_CUDA_LIB_DIR</c> pointing at it loads it.
    /// </summary>
    public string? SimulatorIdentity
    {
        get
        {
            var f = Lib.Export("ttlsim_identity");
            return f == IntPtr.Zero ? null : Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)f)());
        }
    }

    public bool IsSimulator => Lib.Export("ttlsim_identity") != IntPtr.Zero;

    /// <summary>
    /// Throws unless the simulator was built from these kernel sources (by SHA-256): a simulator
    /// built from other sources would run other kernels than the ones NVRTC compiles here.
    /// </summary>
    public void EnsureSimulatorBuiltFrom(string file, string text)
    {
        var f = Lib.Export("ttlsim_source_sha256");
        if (f == IntPtr.Zero) return;
        var name = Marshal.StringToCoTaskMemUTF8(file);
        try
        {
            var built = Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<IntPtr, byte*>)f)(name));
            var here = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
            if (built != here)
                throw new CudaException(built is null
                    ? $"the CUDA simulator at {Lib.Path} was built without {file}; rebuild it (build/native)"
                    : $"the CUDA simulator at {Lib.Path} was built from another version of {file}; rebuild it (build/native)");
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    /// <summary>The driver's CUDA version, e.g. "13.0"; null without a driver.</summary>
    public string? VersionText
    {
        get
        {
            if (!Lib.IsLoaded) return null;
            int v;
            if (((delegate* unmanaged<int*, int>)Fn("cuDriverGetVersion"))(&v) != 0) return null;
            return $"{v / 1000}.{v % 1000 / 10}";
        }
    }

    private (int, int) Initialize()
    {
        if (!Lib.IsLoaded) return (-1, 0);
        int code = ((delegate* unmanaged<uint, int>)Fn("cuInit"))(0);
        if (code != 0) return (code, 0);
        int n;
        code = ((delegate* unmanaged<int*, int>)Fn("cuDeviceGetCount"))(&n);
        return code == 0 ? (0, n) : (code, 0);
    }

    /// <summary>Throws unless a device is present, with the reason there is none.</summary>
    public void EnsureAvailable()
    {
        if (!IsAvailable) throw new CudaException(Status);
    }

    /// <summary>The exported function <paramref name="name"/>, resolved once.</summary>
    internal IntPtr Fn(string name)
    {
        lock (_fns)
        {
            if (!_fns.TryGetValue(name, out var p)) _fns[name] = p = Lib.Require(name);
            return p;
        }
    }

    /// <summary>Raises a failed CUresult as a <see cref="CudaException"/> naming the call.</summary>
    internal void Check(int code, string call)
    {
        if (code != 0) throw Error(code, call);
    }

    internal CudaException Error(int code, string call) => new(call, code, ErrorName(code), ErrorString(code), Detail());

    /// <summary>What the simulator knows about the failure beyond its code (kernel, block, thread, address); null from a real driver.</summary>
    private string? Detail()
    {
        var f = Lib.Export("ttlsim_last_error");
        if (f == IntPtr.Zero) return null;
        var text = Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)f)());
        return string.IsNullOrEmpty(text) ? null : "simulator: " + text;
    }

    private string Describe(int code) => $"{ErrorName(code)} ({code}): {ErrorString(code)}";

    private string ErrorName(int code)
    {
        var f = Lib.Export("cuGetErrorName");
        byte* s = null;
        if (f != IntPtr.Zero && ((delegate* unmanaged<int, byte**, int>)f)(code, &s) == 0 && s != null)
            return Marshal.PtrToStringUTF8((IntPtr)s) ?? $"CUresult {code}";
        return $"CUresult {code}";
    }

    private string ErrorString(int code)
    {
        var f = Lib.Export("cuGetErrorString");
        byte* s = null;
        if (f != IntPtr.Zero && ((delegate* unmanaged<int, byte**, int>)f)(code, &s) == 0 && s != null)
            return Marshal.PtrToStringUTF8((IntPtr)s) ?? "unknown error";
        return "unknown error";
    }

    // Typed entry points. The _v2 names are the ones the CUDA headers have mapped the plain names
    // to since CUDA 4 (64-bit sizes and pointers); every driver since exports them.
    internal delegate* unmanaged<int*, int, int> cuDeviceGet => (delegate* unmanaged<int*, int, int>)Fn("cuDeviceGet");
    internal delegate* unmanaged<byte*, int, int, int> cuDeviceGetName => (delegate* unmanaged<byte*, int, int, int>)Fn("cuDeviceGetName");
    internal delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute => (delegate* unmanaged<int*, int, int, int>)Fn("cuDeviceGetAttribute");
    internal delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem => (delegate* unmanaged<nuint*, int, int>)Fn("cuDeviceTotalMem_v2");
    internal delegate* unmanaged<IntPtr*, int, int> cuDevicePrimaryCtxRetain => (delegate* unmanaged<IntPtr*, int, int>)Fn("cuDevicePrimaryCtxRetain");
    internal delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease => (delegate* unmanaged<int, int>)Fn("cuDevicePrimaryCtxRelease_v2");
    internal delegate* unmanaged<IntPtr, int> cuCtxSetCurrent => (delegate* unmanaged<IntPtr, int>)Fn("cuCtxSetCurrent");
    internal delegate* unmanaged<IntPtr*, int> cuCtxGetCurrent => (delegate* unmanaged<IntPtr*, int>)Fn("cuCtxGetCurrent");
    internal delegate* unmanaged<int> cuCtxSynchronize => (delegate* unmanaged<int>)Fn("cuCtxSynchronize");
    internal delegate* unmanaged<nuint*, nuint*, int> cuMemGetInfo => (delegate* unmanaged<nuint*, nuint*, int>)Fn("cuMemGetInfo_v2");
    internal delegate* unmanaged<IntPtr*, uint, int> cuStreamCreate => (delegate* unmanaged<IntPtr*, uint, int>)Fn("cuStreamCreate");
    internal delegate* unmanaged<IntPtr, int> cuStreamDestroy => (delegate* unmanaged<IntPtr, int>)Fn("cuStreamDestroy_v2");
    internal delegate* unmanaged<IntPtr, int> cuStreamSynchronize => (delegate* unmanaged<IntPtr, int>)Fn("cuStreamSynchronize");
    internal delegate* unmanaged<IntPtr*, uint, int> cuEventCreate => (delegate* unmanaged<IntPtr*, uint, int>)Fn("cuEventCreate");
    internal delegate* unmanaged<IntPtr, IntPtr, int> cuEventRecord => (delegate* unmanaged<IntPtr, IntPtr, int>)Fn("cuEventRecord");
    internal delegate* unmanaged<IntPtr, int> cuEventSynchronize => (delegate* unmanaged<IntPtr, int>)Fn("cuEventSynchronize");
    internal delegate* unmanaged<float*, IntPtr, IntPtr, int> cuEventElapsedTime => (delegate* unmanaged<float*, IntPtr, IntPtr, int>)Fn("cuEventElapsedTime");
    internal delegate* unmanaged<IntPtr, int> cuEventDestroy => (delegate* unmanaged<IntPtr, int>)Fn("cuEventDestroy_v2");
    internal delegate* unmanaged<ulong*, nuint, int> cuMemAlloc => (delegate* unmanaged<ulong*, nuint, int>)Fn("cuMemAlloc_v2");
    internal delegate* unmanaged<ulong, int> cuMemFree => (delegate* unmanaged<ulong, int>)Fn("cuMemFree_v2");
    internal delegate* unmanaged<ulong, void*, nuint, IntPtr, int> cuMemcpyHtoDAsync => (delegate* unmanaged<ulong, void*, nuint, IntPtr, int>)Fn("cuMemcpyHtoDAsync_v2");
    internal delegate* unmanaged<void*, ulong, nuint, IntPtr, int> cuMemcpyDtoHAsync => (delegate* unmanaged<void*, ulong, nuint, IntPtr, int>)Fn("cuMemcpyDtoHAsync_v2");
    internal delegate* unmanaged<ulong, ulong, nuint, IntPtr, int> cuMemcpyDtoDAsync => (delegate* unmanaged<ulong, ulong, nuint, IntPtr, int>)Fn("cuMemcpyDtoDAsync_v2");
    internal delegate* unmanaged<ulong, byte, nuint, IntPtr, int> cuMemsetD8Async => (delegate* unmanaged<ulong, byte, nuint, IntPtr, int>)Fn("cuMemsetD8Async");
    internal delegate* unmanaged<ulong, uint, nuint, IntPtr, int> cuMemsetD32Async => (delegate* unmanaged<ulong, uint, nuint, IntPtr, int>)Fn("cuMemsetD32Async");
    internal delegate* unmanaged<IntPtr*, void*, uint, int*, void**, int> cuModuleLoadDataEx => (delegate* unmanaged<IntPtr*, void*, uint, int*, void**, int>)Fn("cuModuleLoadDataEx");
    internal delegate* unmanaged<IntPtr, int> cuModuleUnload => (delegate* unmanaged<IntPtr, int>)Fn("cuModuleUnload");
    internal delegate* unmanaged<IntPtr*, IntPtr, byte*, int> cuModuleGetFunction => (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Fn("cuModuleGetFunction");
    internal delegate* unmanaged<int*, int, IntPtr, int> cuFuncGetAttribute => (delegate* unmanaged<int*, int, IntPtr, int>)Fn("cuFuncGetAttribute");
    internal delegate* unmanaged<int*, IntPtr, int, nuint, int> cuOccupancyMaxActiveBlocksPerMultiprocessor => (delegate* unmanaged<int*, IntPtr, int, nuint, int>)Fn("cuOccupancyMaxActiveBlocksPerMultiprocessor");
    internal delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> cuLaunchKernel =>
        (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Fn("cuLaunchKernel");
}
