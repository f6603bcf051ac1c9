namespace TTL.Analysis.Svcca;

/// <summary>
/// Where the heavy work runs: the O(N·D²) accumulation of the joint scatter and the O(D³)
/// decompositions on it. <see cref="Cpu.CpuSvccaBackend"/> is the CPU path; the CUDA path
/// (cuBLAS SYRK, cuSOLVER) implements the same two calls and must give the same numbers.
/// </summary>
public interface ISvccaBackend
{
    string Name { get; }

    IJointMomentAccumulator CreateAccumulator(int columnsA, int columnsB, AccumulatorOptions options);

    SvccaResult Analyze(JointMoments moments, SvccaOptions options);
}

/// <summary>How rows are accumulated.</summary>
public sealed record AccumulatorOptions
{
    /// <summary>Rows centred and merged together (Chan et al.'s pairwise update); also the minibatch size when <see cref="MinibatchCka"/> is on.</summary>
    public int BlockRows { get; init; } = 1024;

    /// <summary>Also accumulate the unbiased minibatch HSIC terms, with minibatches of <see cref="BlockRows"/> rows.</summary>
    public bool MinibatchCka { get; init; }

    /// <summary>CPU threads for the scatter kernel.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}
