namespace TTL.Imaging;

/// <summary>How <see cref="NiftiWriter"/> writes a volume.</summary>
public sealed record NiftiWriteOptions
{
    /// <summary>Stored datatype for float volumes (values cast without scaling: rounded and clamped for integer types).</summary>
    public NiftiDataType DataType { get; init; } = NiftiDataType.Float32;

    /// <summary>zlib level 1 (fastest) to 9 (smallest) for .gz outputs.</summary>
    public int CompressionLevel { get; init; } = 6;

    /// <summary>Threads for encoding voxels (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public static NiftiWriteOptions Default { get; } = new();
}
