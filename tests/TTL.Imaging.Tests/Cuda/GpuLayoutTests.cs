using TTL.Cuda.Kernels;
using TTL.Imaging.Cuda;

namespace TTL.Imaging.Tests.Cuda;

public sealed class GpuLayoutTests
{
    [Fact]
    public void The_tiled_permute_grid_covers_odd_shapes_and_stays_within_the_driver_limits()
    {
        // k tiles in x, tiles of the unit-stride axis in y, (channel, other axis) planes in z.
        var p = new Permute3 { O0 = 33, O1 = 47, O2 = 29 };
        Assert.Equal(new TTL.Cuda.Driver.Dim3(1, 2, 3 * 47), GpuLayout.TiledGrid(p, inner: 0, channels: 3));
        Assert.Equal(new TTL.Cuda.Driver.Dim3(1, 2, 3 * 33), GpuLayout.TiledGrid(p, inner: 1, channels: 3));
        // z is capped at 65535 (the kernel strides over the remaining planes).
        Assert.Equal(65535u, GpuLayout.TiledGrid(new Permute3 { O0 = 40000, O1 = 40, O2 = 1 }, inner: 1, channels: 2).Z);
        // y cannot be capped: an axis this long makes Permuted fall back to the plain kernel.
        Assert.True(GpuLayout.TiledGrid(new Permute3 { O0 = 3_000_000, O1 = 1, O2 = 2 }, inner: 0, channels: 1).Y > 65535);
    }
}
