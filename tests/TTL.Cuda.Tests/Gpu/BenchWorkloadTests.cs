using TTL.Cli.Commands.Bench;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>
/// The operations `ttl bench kernels` times run and agree with the CPU (on a small volume): the
/// bench checks each one before timing it on a GPU; here the checks themselves run, on the simulator
/// in build/test. The timing needs a GPU (the simulator has no clock and the bench refuses it).
/// </summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class BenchWorkloadTests
{
    [GpuFact]
    public void Every_operation_the_kernel_bench_times_matches_the_cpu()
    {
        using var set = new KernelWorkloads(Gpus.Device, 19);
        Assert.Equal(["resample.trilinear", "reorient.transpose", "zscore", "percentiles.0.5_99.5", "gaussian_noise"], set.All.Select(w => w.Name));
        foreach (var w in set.All)
        {
            set.Verify(w);
            Assert.True(w.Bytes >= 2L * 4 * 19 * 19 * 19, w.Name);
        }
    }
}
