using System.Text;

namespace TTL.Cuda.Driver;

/// <summary>
/// Grid or block dimensions. Deliberately without implicit conversions from numbers: with them a
/// work count (a uint) passed to <see cref="GpuDevice.Launch(Kernels.KernelCall, long, uint, uint)"/>
/// bound to the explicit-grid overload instead and launched one block per item.
/// </summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1);

/// <summary>CUjit_option values the loader passes (cuda.h).</summary>
public enum JitOption
{
    ErrorLogBuffer = 5,
    ErrorLogBufferSizeBytes = 6,
}

/// <summary>CUfunction_attribute values the toolkit reads (cuda.h).</summary>
public enum FunctionAttribute
{
    MaxThreadsPerBlock = 0,
    SharedSizeBytes = 1,
    ConstSizeBytes = 2,
    LocalSizeBytes = 3,
    NumRegs = 4,
    PtxVersion = 5,
    BinaryVersion = 6,
}

/// <summary>A module loaded into a context from PTX (JIT-compiled by the driver) or a cubin.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly PrimaryContext _context;
    private IntPtr _handle;

    private CudaModule(PrimaryContext context, IntPtr handle, string name)
    {
        _context = context;
        _handle = handle;
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// Loads <paramref name="image"/>: PTX text (a terminating NUL is added when missing) or a
    /// cubin. A failure carries the driver's JIT error log.
    /// </summary>
    public static CudaModule Load(PrimaryContext context, byte[] image, bool isPtx, string name)
    {
        context.MakeCurrent();
        var d = context.Driver;
        if (isPtx && (image.Length == 0 || image[^1] != 0)) image = [.. image, 0];
        const int logSize = 16384;
        var log = new byte[logSize];
        IntPtr module;
        int code;
        fixed (byte* img = image)
        fixed (byte* l = log)
        {
            int* opts = stackalloc int[] { (int)JitOption.ErrorLogBuffer, (int)JitOption.ErrorLogBufferSizeBytes };
            void** vals = stackalloc void*[] { l, (void*)logSize };
            code = d.cuModuleLoadDataEx(&module, img, 2, opts, vals);
        }
        if (code != 0)
        {
            int n = Array.IndexOf(log, (byte)0);
            var text = Encoding.UTF8.GetString(log, 0, n < 0 ? log.Length : n).Trim();
            var e = d.Error(code, $"cuModuleLoadDataEx ({name})");
            throw text.Length == 0 ? e : new CudaException($"{e.Message}\n{text}");
        }
        return new CudaModule(context, module, name);
    }

    public CudaKernel Function(string entry)
    {
        _context.MakeCurrent();
        IntPtr f;
        var bytes = Encoding.UTF8.GetBytes(entry + "\0");
        fixed (byte* b = bytes)
            _context.Driver.Check(_context.Driver.cuModuleGetFunction(&f, _handle, b), $"cuModuleGetFunction ({Name}: {entry})");
        return new CudaKernel(_context, f, entry);
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h == IntPtr.Zero) return;
        _context.MakeCurrent();
        _context.Driver.Check(_context.Driver.cuModuleUnload(h), "cuModuleUnload");
    }
}

/// <summary>What the compiler gave one kernel, from cuFuncGetAttribute.</summary>
public sealed record KernelAttributes(int Registers, int StaticSharedBytes, int LocalBytes, int ConstBytes, int MaxThreadsPerBlock, int PtxVersion, int BinaryVersion);

/// <summary>One kernel (CUfunction) of a loaded module.</summary>
public sealed unsafe class CudaKernel
{
    private readonly PrimaryContext _context;

    internal CudaKernel(PrimaryContext context, IntPtr handle, string name)
    {
        _context = context;
        Handle = handle;
        Name = name;
    }

    public IntPtr Handle { get; }

    public string Name { get; }

    public KernelAttributes Attributes => new(
        Attribute(FunctionAttribute.NumRegs), Attribute(FunctionAttribute.SharedSizeBytes), Attribute(FunctionAttribute.LocalSizeBytes),
        Attribute(FunctionAttribute.ConstSizeBytes), Attribute(FunctionAttribute.MaxThreadsPerBlock), Attribute(FunctionAttribute.PtxVersion),
        Attribute(FunctionAttribute.BinaryVersion));

    public int Attribute(FunctionAttribute attribute)
    {
        _context.MakeCurrent();
        int v;
        _context.Driver.Check(_context.Driver.cuFuncGetAttribute(&v, (int)attribute, Handle), $"cuFuncGetAttribute ({Name})");
        return v;
    }

    /// <summary>Resident blocks of <paramref name="blockSize"/> threads per multiprocessor (for sizing grid-stride grids).</summary>
    public int MaxActiveBlocksPerMultiprocessor(int blockSize, int dynamicSharedBytes = 0)
    {
        // GpuDevice.GridFor reaches here with a kernel cached by another thread: make the context current.
        _context.MakeCurrent();
        int n;
        _context.Driver.Check(_context.Driver.cuOccupancyMaxActiveBlocksPerMultiprocessor(&n, Handle, blockSize, (nuint)dynamicSharedBytes), $"cuOccupancyMaxActiveBlocksPerMultiprocessor ({Name})");
        return n;
    }

    /// <summary>
    /// Queues the kernel on <paramref name="stream"/>. A bad launch configuration fails here; a
    /// fault inside the kernel shows at the next synchronisation, or here when TTL_CUDA_SYNC=1.
    /// </summary>
    public void Launch(Dim3 grid, Dim3 block, KernelArgs args, CudaStream? stream = null, uint sharedBytes = 0)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return; // nothing to do (an empty volume)
        _context.MakeCurrent();
        var s = stream ?? CudaStream.Legacy;
        var d = _context.Driver;
        int code = 0;
        args.WithPointers(p => code = d.cuLaunchKernel(Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, s.Handle, (void**)p, null));
        d.Check(code, $"cuLaunchKernel ({Name})");
        // The fault of a kernel surfaces at the next synchronisation; name the kernel in it, which
        // is what TTL_CUDA_SYNC=1 is for (the context is current: made so above).
        if (SyncEveryLaunch) d.Check(d.cuStreamSynchronize(s.Handle), $"cuStreamSynchronize after cuLaunchKernel ({Name})");
    }

    private static readonly bool SyncEveryLaunch = Environment.GetEnvironmentVariable("TTL_CUDA_SYNC") == "1";
}
