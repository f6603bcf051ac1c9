namespace TTL.Imaging;

/// <summary>
/// A 3D image: channel-first float32 voxels in NIfTI index order (channel, i, j, k; k varies
/// fastest in memory, the same element order as nibabel's <c>get_fdata()</c> transposed to C order
/// with a channel axis in front) plus the 4×4 voxel-to-world affine in RAS+ millimetres.
/// </summary>
public sealed class Volume
{
    /// <summary>Voxels, length Channels × I × J × K, index ((c·I + i)·J + j)·K + k.</summary>
    public float[] Data { get; }

    public int Channels { get; }

    /// <summary>Spatial shape (I, J, K).</summary>
    public int[] Shape { get; }

    /// <summary>Voxel (i, j, k, 1) to world (x, y, z, 1), RAS+; row-major 4×4.</summary>
    public double[,] Affine { get; }

    /// <summary>The NIfTI header the voxels were read from, if any: its codes, units and description carry over when writing.</summary>
    public NiftiHeader? Header { get; init; }

    /// <summary>Orientation codes of the affine, e.g. "RAS" or "LPS" (nibabel's <c>aff2axcodes</c>).</summary>
    public string AxisCodes => Orientation.AxisCodes(Affine);

    public Volume(float[] data, int channels, int[] shape, double[,] affine)
    {
        if (shape.Length != 3) throw new ArgumentException("a volume has 3 spatial dimensions", nameof(shape));
        if (affine.GetLength(0) != 4 || affine.GetLength(1) != 4) throw new ArgumentException("affine must be 4×4", nameof(affine));
        long n = (long)channels * shape[0] * shape[1] * shape[2];
        if (data.LongLength != n) throw new ArgumentException($"data holds {data.LongLength} values, shape needs {n}", nameof(data));
        Data = data;
        Channels = channels;
        Shape = (int[])shape.Clone();
        Affine = (double[,])affine.Clone();
    }

    public int I => Shape[0];
    public int J => Shape[1];
    public int K => Shape[2];

    /// <summary>Voxels per channel.</summary>
    public long VoxelCount => (long)Shape[0] * Shape[1] * Shape[2];

    /// <summary>Voxel size along i, j, k: the lengths of the affine's first three columns.</summary>
    public double[] Spacing => AffineMath.ColumnNorms3(Affine);

    /// <summary>One channel's voxels as a span.</summary>
    public Span<float> Channel(int c) => Data.AsSpan().Slice((int)(c * VoxelCount), (int)VoxelCount);

    public float this[int c, int i, int j, int k]
    {
        get => Data[((long)(c * Shape[0] + i) * Shape[1] + j) * Shape[2] + k];
        set => Data[((long)(c * Shape[0] + i) * Shape[1] + j) * Shape[2] + k] = value;
    }
}
