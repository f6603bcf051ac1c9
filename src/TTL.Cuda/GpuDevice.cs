using TTL.Cuda.Blas;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;
using TTL.Cuda.Nvrtc;
using TTL.Cuda.Solver;

namespace TTL.Cuda;

/// <summary>
/// The toolkit on one GPU: the device's primary context (shared with libtorch), the stream work
/// goes on (the legacy default stream unless given: libtorch's default too), the kernels compiled
/// for this device (through the <see cref="KernelCache"/>, loaded on first use) and the cuBLAS /
/// cuSOLVER handles.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    private readonly Dictionary<string, CudaModule> _modules = new();
    private readonly Dictionary<(string, string), CudaKernel> _kernels = new();
    private readonly Lazy<Cublas> _blas;
    private readonly Lazy<Cusolver> _solver;
    private readonly int _multiprocessors;

    private GpuDevice(CudaDevice device, KernelCache cache, CudaStream stream)
    {
        Device = device;
        Cache = cache;
        Stream = stream;
        Context = new PrimaryContext(device);
        _multiprocessors = device.Multiprocessors;
        Target = ChooseTarget(device.Arch, cache.Compiler.SupportedArchs());
        _blas = new Lazy<Cublas>(() => new Cublas(Context, Stream));
        _solver = new Lazy<Cusolver>(() => new Cusolver(Context, Stream));
    }

    /// <summary>Opens cuda:<paramref name="ordinal"/>; throws with the reason when there is no such device or no NVRTC.</summary>
    public static GpuDevice Open(int ordinal = 0, KernelCache? cache = null, CudaStream? stream = null)
    {
        var device = CudaDevice.Get(ordinal);
        cache ??= KernelCache.Default;
        cache.Compiler.EnsureAvailable();
        return new GpuDevice(device, cache, stream ?? CudaStream.Legacy);
    }

    public CudaDevice Device { get; }

    public PrimaryContext Context { get; }

    public CudaStream Stream { get; }

    public KernelCache Cache { get; }

    /// <summary>What the kernels are compiled for on this device; see <see cref="ChooseTarget"/>.</summary>
    public GpuArch Target { get; }

    public Cublas Blas => _blas.Value;

    public Cusolver Solver => _solver.Value;

    /// <summary>
    /// A cubin for the device's own sm_XX when NVRTC knows it (no JIT at load); otherwise PTX for the
    /// newest compute_XX NVRTC has that is not newer than the device, which the driver JIT-compiles
    /// forward (an older NVRTC on a newer GPU).
    /// </summary>
    public static GpuArch ChooseTarget(int deviceArch, IReadOnlyCollection<int> nvrtcArchs)
    {
        if (nvrtcArchs.Contains(deviceArch)) return new GpuArch(deviceArch, IsReal: true);
        var older = nvrtcArchs.Where(a => a <= deviceArch).ToArray();
        if (older.Length == 0)
            throw new CudaException($"NVRTC targets compute_{nvrtcArchs.Min()}..compute_{nvrtcArchs.Max()}, nothing this device (sm_{deviceArch}) can run");
        return new GpuArch(older.Max(), IsReal: false);
    }

    public DeviceBuffer<T> Alloc<T>(long length) where T : unmanaged => new(Context, length);

    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> values) where T : unmanaged => new(Context, values, Stream);

    /// <summary>The kernel <paramref name="entry"/> of source <paramref name="source"/>, compiling and loading its module once.</summary>
    public CudaKernel Kernel(string source, string entry)
    {
        lock (_modules)
        {
            if (_kernels.TryGetValue((source, entry), out var k)) return k;
            if (!_modules.TryGetValue(source, out var module))
            {
                var src = KernelSources.Get(source);
                if (Device.Driver.IsSimulator)
                {
                    Device.Driver.EnsureSimulatorBuiltFrom(src.File, src.Text);
                    foreach (var (name, text) in KernelSources.Headers) Device.Driver.EnsureSimulatorBuiltFrom(name, text);
                }
                var image = Cache.Get(src, Target).Image;
                _modules[source] = module = CudaModule.Load(Context, image.Image, image.IsPtx, image.Source);
            }
            return _kernels[(source, entry)] = module.Function(entry);
        }
    }

    /// <summary>
    /// Launches <paramref name="call"/> over <paramref name="work"/> items with a grid-stride grid:
    /// enough blocks to fill every multiprocessor at the kernel's occupancy, no more (and no more
    /// than the work needs), so the per-thread setup is amortised over several items.
    /// </summary>
    public void Launch(KernelCall call, long work, uint gridY = 1, uint gridZ = 1) => Launch(call, new Dim3(GridFor(call, work), gridY, gridZ));

    /// <summary>The grid-stride grid size <see cref="Launch(KernelCall, long, uint, uint)"/> uses (callers that size per-block outputs need it).</summary>
    public uint GridFor(KernelCall call, long work)
    {
        var kernel = Kernel(call.Source, call.Entry);
        int threads = (int)(call.Block.X * call.Block.Y * call.Block.Z);
        long needed = Math.Max(1, (work + threads - 1) / threads);
        int resident = Math.Max(1, kernel.MaxActiveBlocksPerMultiprocessor(threads)) * _multiprocessors;
        return (uint)Math.Min(needed, resident);
    }

    /// <summary>Launches <paramref name="call"/> on an explicit grid.</summary>
    public void Launch(KernelCall call, Dim3 grid) => Kernel(call.Source, call.Entry).Launch(grid, call.Block, call.Args, Stream);

    public void Synchronize()
    {
        // The driver synchronises a stream of the calling thread's current context.
        Context.MakeCurrent();
        Stream.Synchronize(Device.Driver);
    }

    public void Dispose()
    {
        if (_solver.IsValueCreated) _solver.Value.Dispose();
        if (_blas.IsValueCreated) _blas.Value.Dispose();
        foreach (var m in _modules.Values) m.Dispose();
        _modules.Clear();
        _kernels.Clear();
        Context.Dispose();
    }
}
