using TTL.Torch;

namespace TTL.Analysis.Svcca;

/// <summary>
/// Streams row blocks of two activation matrices into their <see cref="JointMoments"/>. The CPU
/// implementation is <see cref="Cpu.CpuJointMomentAccumulator"/>; a CUDA one keeps the scatter on
/// the device and takes device tensors through the same calls.
/// </summary>
public interface IJointMomentAccumulator : IDisposable
{
    int ColumnsA { get; }

    int ColumnsB { get; }

    /// <summary>Rows accumulated so far.</summary>
    long Rows { get; }

    /// <summary>Adds the rows of A [n, Ca] and B [n, Cb] (any floating dtype; same n).</summary>
    void Add(Tensor a, Tensor b);

    /// <summary>Adds row blocks given as spans (row-major n × Ca and n × Cb).</summary>
    void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows);

    /// <inheritdoc cref="Add(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>
    void Add(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int rows);

    /// <summary>The moments of everything added so far (the accumulator stays usable).</summary>
    JointMoments Finish();
}
