namespace TTL.Imaging;

/// <summary>Limits and parallelism for reading NIfTI files.</summary>
public sealed record NiftiReadOptions
{
    /// <summary>
    /// Largest number of values (voxels × channels) a file may declare. Headers are untrusted; this
    /// bounds what a read allocates before any data has arrived. Default 2^30 (4 GiB as float32).
    /// </summary>
    public long MaxVoxels { get; init; } = 1L << 30;

    /// <summary>Threads for decoding voxels (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public static NiftiReadOptions Default { get; } = new();
}
