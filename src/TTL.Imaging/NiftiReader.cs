namespace TTL.Imaging;

/// <summary>
/// Reads NIfTI-1/2 files (<c>.nii</c>, <c>.nii.gz</c>, <c>.hdr</c>/<c>.img</c> pairs, either
/// gzipped). Sizes declared by the header are checked against the file and the voxel limit before
/// anything is allocated; data are streamed (never holding compressed and decompressed copies)
/// and decoded chunk by chunk straight into the float array while the next chunk is inflated.
/// </summary>
public static class NiftiReader
{
    /// <summary>Bytes per decode chunk: big enough that each output row gets a cache line of k values per pass.</summary>
    private const int ChunkBytes = 16 << 20;

    /// <summary>Reads and validates only the header.</summary>
    public static NiftiHeader ReadHeader(string path)
    {
        var (hdrPath, _) = NiftiFiles.Resolve(path);
        using var s = NiftiFiles.OpenRead(hdrPath, out bool gz, out long length);
        return ReadHeaderFrom(s, Path.GetFileName(hdrPath), gz ? -1 : length);
    }

    /// <summary>Reads a file into a float32 volume (scaled, channel-first; extra dimensions become channels).</summary>
    public static Volume Read(string path, NiftiReadOptions? options = null)
    {
        options ??= NiftiReadOptions.Default;
        using var src = Open(path, options, forFloat: true);
        var h = src.Header;
        var shape = h.SpatialShape;
        // Every element is overwritten by the decoder, so skip zeroing hundreds of megabytes.
        var dst = GC.AllocateUninitializedArray<float>((int)(h.Channels * shape[0] * shape[1] * shape[2]));
        long planeBytes = (long)shape[0] * shape[1] * NiftiDataTypes.BytesPerVoxel(h.DataType);
        long planes = (long)shape[2] * h.ExtraCount;
        int chunkPlanes = (int)Math.Clamp(ChunkBytes / Math.Max(1, planeBytes), 1, planes);
        var (slope, inter) = h.Scaling;
        int threads = Math.Max(1, options.Threads);

        // Two buffers: one is decoded on the thread pool while the reader inflates into the other.
        var bufA = new byte[chunkPlanes * planeBytes];
        var bufB = planes > chunkPlanes ? new byte[bufA.Length] : bufA;
        long done = 0;
        int n = Fill(src, bufA, 0, Math.Min(chunkPlanes, planes), planeBytes);
        while (n > 0)
        {
            long first = done;
            int count = n;
            var current = bufA;
            var decode = Task.Run(() => VoxelCodec.DecodePlanes(current, h.DataType, shape, first, count, dst, h.HasScaling, slope, inter, threads));
            done += n;
            int next = (int)Math.Min(chunkPlanes, planes - done);
            try
            {
                n = next > 0 ? Fill(src, bufB, done, next, planeBytes) : 0;
            }
            finally
            {
                decode.Wait();
            }
            (bufA, bufB) = (bufB, bufA);
        }
        return new Volume(dst, (int)h.Channels, shape, h.BestAffine()) { Header = h };
    }

    /// <summary>Reads the stored values without conversion (see <see cref="NiftiImage"/>).</summary>
    public static NiftiImage ReadRaw(string path, NiftiReadOptions? options = null)
    {
        options ??= NiftiReadOptions.Default;
        using var src = Open(path, options, forFloat: false);
        var h = src.Header;
        var data = new byte[h.DataBytes];
        const int Step = 16 << 20;
        for (long at = 0; at < data.LongLength; at += Step)
        {
            int len = (int)Math.Min(Step, data.LongLength - at);
            NiftiFiles.ReadExactly(src.Stream, data.AsSpan((int)at, len), src.ImageName, "data", h.DataBytes, at);
        }
        if (h.BigEndian) VoxelCodec.SwapBytes(data, h.DataType);
        return new NiftiImage(h, data);
    }

    /// <summary>Reads <paramref name="planes"/> planes into the start of <paramref name="buffer"/>, byte-swapping big-endian data.</summary>
    private static int Fill(DataSource src, byte[] buffer, long firstPlane, long planes, long planeBytes)
    {
        var span = buffer.AsSpan(0, (int)(planes * planeBytes));
        NiftiFiles.ReadExactly(src.Stream, span, src.ImageName, "data", src.Header.DataBytes, firstPlane * planeBytes);
        if (src.Header.BigEndian) VoxelCodec.SwapBytes(span, src.Header.DataType);
        return (int)planes;
    }

    private static NiftiHeader ReadHeaderFrom(Stream s, string name, long knownLength)
    {
        var first = new byte[NiftiHeader.Nifti2Size];
        NiftiFiles.ReadExactly(s, first.AsSpan(0, 4), name, "sizeof_hdr", 4, 0);
        int size = NiftiHeader.DetectSize(first.AsSpan(0, 4), name, out _);
        if (knownLength >= 0 && knownLength < size)
            throw NiftiHeader.Bad(name, $"file is {knownLength} bytes, shorter than the {size}-byte header");
        NiftiFiles.ReadExactly(s, first.AsSpan(4, size - 4), name, "header", size, 4);
        return NiftiHeader.Parse(first.AsSpan(0, size), name);
    }

    /// <summary>An open data stream positioned at the first voxel, with its validated header.</summary>
    private sealed class DataSource(NiftiHeader header, Stream stream, string imageName) : IDisposable
    {
        public NiftiHeader Header { get; } = header;
        public Stream Stream { get; } = stream;
        public string ImageName { get; } = imageName;
        public void Dispose() => Stream.Dispose();
    }

    /// <summary>
    /// Opens header and image, validates sizes against limits and file lengths, and positions the
    /// stream at vox_offset (skipping extensions).
    /// </summary>
    private static DataSource Open(string path, NiftiReadOptions options, bool forFloat)
    {
        var (hdrPath, imgPath) = NiftiFiles.Resolve(path);
        string name = Path.GetFileName(hdrPath);
        var s = NiftiFiles.OpenRead(hdrPath, out bool gz, out long length);
        try
        {
            var h = ReadHeaderFrom(s, name, gz ? -1 : length);
            CheckLimits(h, name, options, forFloat);
            bool pairFile = !string.Equals(hdrPath, imgPath, StringComparison.Ordinal);
            if (pairFile)
            {
                s.Dispose();
                name = Path.GetFileName(imgPath);
                s = NiftiFiles.OpenRead(imgPath, out gz, out length);
                CheckFileHolds(h, name, gz, length);
                NiftiFiles.Skip(s, h.VoxOffset, name, $"vox_offset={h.VoxOffset}");
            }
            else
            {
                CheckFileHolds(h, name, gz, length);
                NiftiFiles.Skip(s, h.VoxOffset - h.SizeOfHeader, name, $"vox_offset={h.VoxOffset}");
            }
            return new DataSource(h, s, name);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    private static void CheckLimits(NiftiHeader h, string name, NiftiReadOptions options, bool forFloat)
    {
        long values = h.VoxelCount * (h.DataType == NiftiDataType.Rgb24 ? 3 : 1);
        if (values > options.MaxVoxels)
            throw NiftiHeader.Bad(name, $"dim: {values} voxel values exceed the limit of {options.MaxVoxels}");
        if (values > Array.MaxLength || h.DataBytes > Array.MaxLength)
            throw NiftiHeader.Bad(name, $"dim: {values} voxels are more than one array can hold");
        if (forFloat && h.SpatialShape[0] * (long)h.SpatialShape[1] * NiftiDataTypes.BytesPerVoxel(h.DataType) > Array.MaxLength)
            throw NiftiHeader.Bad(name, "dim: one k-plane is more than one array can hold");
    }

    /// <summary>
    /// An uncompressed file must be as long as vox_offset plus the data. A gzip file's inflated
    /// length is unknown, but deflate expands at most 1032:1, which still rejects absurd headers
    /// in small files before allocating; the rest is caught when the stream ends early.
    /// </summary>
    private static void CheckFileHolds(NiftiHeader h, string name, bool gz, long length)
    {
        long needed = h.VoxOffset + h.DataBytes;
        if (gz)
        {
            const long MaxDeflateRatio = 1032;
            if (h.DataBytes / MaxDeflateRatio > length + 1024)
                throw NiftiHeader.Bad(name, $"file is {length} compressed bytes, too small to hold {h.DataBytes} bytes of data");
            return;
        }
        if (h.VoxOffset > length)
            throw NiftiHeader.Bad(name, $"vox_offset={h.VoxOffset} is past the end of the {length}-byte file");
        if (needed > length)
            throw NiftiHeader.Bad(name, $"file is {length} bytes, shorter than vox_offset {h.VoxOffset} + {h.DataBytes} data bytes");
    }
}
