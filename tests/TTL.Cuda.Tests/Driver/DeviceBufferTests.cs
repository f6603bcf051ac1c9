using TTL.Cuda.Driver;

namespace TTL.Cuda.Tests.Driver;

public sealed class DeviceBufferTests
{
    [Fact]
    public void Copy_sizes_are_computed_in_64_bits_past_2_GiB()
    {
        // 2^29 doubles are 2^32 bytes: an int product wraps to 0 and the copy would move nothing.
        Assert.Equal((nuint)(1UL << 32), DeviceBuffer<double>.ByteCount(1 << 29));
        Assert.Equal((nuint)(3UL << 30), DeviceBuffer<float>.ByteCount(3L << 28));
        Assert.Equal((nuint)12, DeviceBuffer<float>.ByteCount(3));
    }
}
