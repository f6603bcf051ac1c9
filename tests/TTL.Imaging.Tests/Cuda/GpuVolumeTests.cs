using TTL.Imaging.Cuda;

namespace TTL.Imaging.Tests.Cuda;

/// <summary>The host-side limits of GPU volumes: what the kernels' index arithmetic can address.</summary>
public sealed class GpuVolumeTests
{
    [Fact]
    public void Shapes_and_views_the_kernels_cannot_index_are_refused_before_anything_is_allocated()
    {
        GpuVolume.Check(2, [100, 200, 300], null);
        Assert.Throws<ArgumentException>(() => GpuVolume.Check(1, [0, 4, 4], null));
        Assert.Throws<ArgumentException>(() => GpuVolume.Check(0, [4, 4, 4], null));
        // 2^31 voxels: beyond a 32-bit flat index (and the CPU path's arrays).
        Assert.Throws<ArgumentException>(() => GpuVolume.Check(2, [1024, 1024, 1024], null));

        // A small view into a huge permuted parent: 64³ voxels, but i·s0 reaches past 2^31.
        GpuVolume.Check(1, [64, 64, 64], new VoxelStrides(1, 64 * 64, 64, 1));
        GpuVolume.Check(1, [64, 64, 64], new VoxelStrides(1, -64 * 64, 64, -1));
        var e = Assert.Throws<ArgumentException>(() => GpuVolume.Check(1, [64, 64, 64], new VoxelStrides(1, 1 << 26, 64, 1)));
        Assert.Contains("contiguous", e.Message);
    }
}
