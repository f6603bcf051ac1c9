using TTL.Cuda;
using TTL.Cuda.Driver;

namespace TTL.Imaging.Cuda;

/// <summary>Element strides of a [C, I, J, K] float32 layout; negative along a flipped view.</summary>
public readonly record struct VoxelStrides(int C, int I, int J, int K)
{
    public static VoxelStrides Contiguous(int[] shape) => new(shape[0] * shape[1] * shape[2], shape[1] * shape[2], shape[2], 1);
}

/// <summary>
/// A volume on the GPU: float32 voxels [C, I, J, K] at a device address, with the shape and
/// affine of <see cref="Volume"/>. It either owns its buffer (an upload, a kernel's output) or
/// borrows the memory of something else, typically a libtorch CUDA tensor, which may be a strided
/// view (a slice, a permutation, a flip): the kernels read through the strides, so no copy is
/// made to get a contiguous input.
/// </summary>
public sealed class GpuVolume : IDisposable
{
    private readonly DeviceBuffer<float>? _owned;

    private GpuVolume(GpuDevice gpu, DevicePtr data, DeviceBuffer<float>? owned, int channels, int[] shape, double[,] affine, VoxelStrides strides)
    {
        Gpu = gpu;
        Data = data;
        _owned = owned;
        Channels = channels;
        Shape = (int[])shape.Clone();
        Affine = (double[,])affine.Clone();
        Strides = strides;
    }

    public GpuDevice Gpu { get; }

    public DevicePtr Data { get; }

    public int Channels { get; }

    public int[] Shape { get; }

    public double[,] Affine { get; }

    public VoxelStrides Strides { get; }

    public long VoxelCount => (long)Shape[0] * Shape[1] * Shape[2];

    public bool IsContiguous => Strides == VoxelStrides.Contiguous(Shape);

    /// <summary>A new contiguous volume of this shape (contents undefined until a kernel writes them).</summary>
    public static GpuVolume Allocate(GpuDevice gpu, int channels, int[] shape, double[,] affine)
    {
        // Checked before allocating: a refused shape must not leave device memory behind.
        Check(channels, shape, null);
        var buffer = gpu.Alloc<float>((long)channels * shape[0] * shape[1] * shape[2]);
        return new GpuVolume(gpu, buffer.Ptr, buffer, channels, shape, affine, VoxelStrides.Contiguous(shape));
    }

    public static GpuVolume Upload(GpuDevice gpu, Volume v)
    {
        var g = Allocate(gpu, v.Channels, v.Shape, v.Affine);
        g._owned!.Upload(v.Data, gpu.Stream);
        return g;
    }

    /// <summary>
    /// Device memory owned by someone else (a libtorch tensor's data_ptr), read through
    /// <paramref name="strides"/>. The caller keeps that memory alive while this volume is used.
    /// </summary>
    public static GpuVolume Borrow(GpuDevice gpu, DevicePtr data, int channels, int[] shape, double[,] affine, VoxelStrides? strides = null)
    {
        Check(channels, shape, strides);
        return new(gpu, data, null, channels, shape, affine, strides ?? VoxelStrides.Contiguous(shape));
    }

    /// <summary>
    /// The limits of the kernels' index arithmetic: fewer than 2^31 voxels in all (the CPU path's
    /// limit too), and for a strided view a spatial reach that fits in 32 bits, since the
    /// resampling kernels form (i·s0 + j·s1 + k·s2) in int (the channel offset is 64-bit).
    /// </summary>
    internal static void Check(int channels, int[] shape, VoxelStrides? strides)
    {
        if (shape.Length != 3 || shape.Any(n => n < 1)) throw new ArgumentException("a volume has 3 positive spatial sizes", nameof(shape));
        if (channels < 1) throw new ArgumentException("a volume has at least one channel", nameof(channels));
        if ((long)channels * shape[0] * shape[1] * shape[2] > int.MaxValue)
            throw new ArgumentException($"{channels}×{string.Join("×", shape)} voxels exceed the 2^31 the kernels index (the CPU path's limit too)");
        if (strides is { } s)
        {
            long reach = (shape[0] - 1L) * Math.Abs((long)s.I) + (shape[1] - 1L) * Math.Abs((long)s.J) + (shape[2] - 1L) * Math.Abs((long)s.K);
            if (reach > int.MaxValue)
                throw new ArgumentException($"a view with strides ({s.I}, {s.J}, {s.K}) over {string.Join("×", shape)} spans {reach} elements, beyond the 2^31 the kernels index; make it contiguous first");
        }
    }

    /// <summary>Copies the voxels back; a strided view is first made contiguous on the device.</summary>
    public Volume Download()
    {
        if (!IsContiguous)
        {
            using var c = GpuLayout.Contiguous(this);
            return c.Download();
        }
        var data = new float[Channels * VoxelCount];
        if (_owned is not null) _owned.Download(data, Gpu.Stream);
        else
        {
            using var tmp = Gpu.Alloc<float>(data.Length);
            tmp.CopyFrom(Data, data.Length, Gpu.Stream);
            tmp.Download(data, Gpu.Stream);
        }
        return new Volume(data, Channels, Shape, Affine);
    }

    public void Dispose() => _owned?.Dispose();

    /// <summary>
    /// Runs <paramref name="write"/> (which allocates outputs into <paramref name="outputs"/> and
    /// launches kernels into them) and, when it throws, frees every output allocated so far: a
    /// failed operation leaves no device memory behind.
    /// </summary>
    internal static void FreeOnFailure(List<GpuVolume> outputs, Action write)
    {
        try
        {
            write();
        }
        catch
        {
            foreach (var o in outputs) o.Dispose();
            throw;
        }
    }
}
