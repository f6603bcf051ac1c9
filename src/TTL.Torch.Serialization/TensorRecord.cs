namespace TTL.Torch.Serialization;

/// <summary>
/// A named tensor as stored in a file: element type, shape and dense row-major little-endian
/// bytes. This is the currency of every checkpoint format; TTL.Torch turns it into a Tensor.
/// </summary>
public sealed record TensorRecord(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var s in Shape) n *= s;
            return n;
        }
    }

    /// <summary>The elements as T (which must match DType's size).</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Data.Span);
}
