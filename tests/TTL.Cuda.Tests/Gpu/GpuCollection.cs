namespace TTL.Cuda.Tests.Gpu;

/// <summary>
/// The GPU tests run one at a time, and not beside other test classes. They share one device,
/// its primary context and one cuBLAS / cuSOLVER handle on one stream; and a faulting kernel
/// (an illegal address) poisons the whole context: in parallel, one bad kernel would fail every
/// GPU test that happened to be running, under their names, and TTL_CUDA_SYNC=1 could not point
/// at the launch.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GpuCollection
{
    public const string Name = "Gpu";
}
