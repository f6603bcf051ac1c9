namespace TTL.Torch.Serialization;

/// <summary>Gathers a strided view of a storage into dense row-major bytes.</summary>
internal static class StridedCopy
{
    /// <summary>
    /// The dense bytes of the view (offset, size, stride, all in elements) over `storage`. A view that
    /// is already contiguous is returned as a slice of the storage, without copying.
    /// </summary>
    public static ReadOnlyMemory<byte> Dense(ReadOnlyMemory<byte> storage, int elementSize, long offset, long[] size, long[] stride)
    {
        long numel = 1;
        foreach (var s in size) numel *= s;
        if (numel == 0) return ReadOnlyMemory<byte>.Empty;
        if (IsContiguous(size, stride))
            return storage.Slice(checked((int)(offset * elementSize)), checked((int)(numel * elementSize)));

        var dense = new byte[numel * elementSize];
        var src = storage.Span;
        int rank = size.Length;
        // Innermost run: contiguous elements can be copied as one block.
        long run = stride[rank - 1] == 1 ? size[rank - 1] : 1;
        int outer = stride[rank - 1] == 1 ? rank - 1 : rank;
        int runBytes = checked((int)(run * elementSize));
        var index = new long[outer];
        long srcElem = offset;
        for (long written = 0; written < dense.LongLength; written += runBytes)
        {
            src.Slice((int)(srcElem * elementSize), runBytes).CopyTo(dense.AsSpan((int)written, runBytes));
            // Odometer over the outer dimensions.
            for (int d = outer - 1; d >= 0; d--)
            {
                if (++index[d] < size[d]) { srcElem += stride[d]; break; }
                srcElem -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return dense;
    }

    /// <summary>Row-major contiguous, ignoring the strides of dimensions of size 1.</summary>
    public static bool IsContiguous(long[] size, long[] stride)
    {
        long expected = 1;
        for (int d = size.Length - 1; d >= 0; d--)
        {
            if (size[d] == 1) continue;
            if (stride[d] != expected) return false;
            expected *= size[d];
        }
        return true;
    }
}
