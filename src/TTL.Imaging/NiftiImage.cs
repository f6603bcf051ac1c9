namespace TTL.Imaging;

/// <summary>
/// A NIfTI file's voxels exactly as stored: the typed values (little-endian, file layout, i
/// fastest) with the header that describes them, before any scaling or conversion to float. Used
/// where values must survive unchanged (converting without a new type, integer round trips).
/// </summary>
public sealed class NiftiImage
{
    public NiftiHeader Header { get; }

    /// <summary>Stored values, length <c>Header.DataBytes</c>.</summary>
    public byte[] Data { get; }

    public NiftiImage(NiftiHeader header, byte[] data)
    {
        if (data.LongLength != header.DataBytes)
            throw new ArgumentException($"data holds {data.LongLength} bytes, the header needs {header.DataBytes}", nameof(data));
        Header = header;
        Data = data;
    }

    /// <summary>The voxel-to-world affine nibabel would report (<see cref="NiftiHeader.BestAffine"/>).</summary>
    public double[,] Affine => Header.BestAffine();

    /// <summary>Scaled float32 voxels, channel-first, with the affine and this header attached.</summary>
    public Volume ToVolume(int threads = 0)
    {
        var h = Header;
        var shape = h.SpatialShape;
        long planes = (long)shape[2] * h.ExtraCount;
        var dst = new float[checked(h.Channels * shape[0] * shape[1] * shape[2])];
        var (slope, inter) = h.Scaling;
        VoxelCodec.DecodePlanes(Data, h.DataType, shape, 0, checked((int)planes), dst, h.HasScaling, slope, inter,
            threads > 0 ? threads : Environment.ProcessorCount);
        return new Volume(dst, (int)h.Channels, shape, h.BestAffine()) { Header = h };
    }

    /// <summary>
    /// The same voxels in another datatype: stored values with scaling applied, rounded and clamped
    /// for integer targets; the result carries no scaling. The same type returns this image.
    /// </summary>
    public NiftiImage CastTo(NiftiDataType type, int threads = 0)
    {
        if (type == Header.DataType) return this;
        if (Header.DataType == NiftiDataType.Rgb24 || type == NiftiDataType.Rgb24)
            throw new NotSupportedException("RGB24 data cannot be converted to another datatype");
        var (slope, inter) = Header.Scaling;
        var data = VoxelCodec.Cast(Data, Header.DataType, type, Header.HasScaling, slope, inter,
            threads > 0 ? threads : Environment.ProcessorCount);
        return new NiftiImage(Header.WithDataType(type) with { SclSlope = 1, SclInter = 0 }, data);
    }
}
