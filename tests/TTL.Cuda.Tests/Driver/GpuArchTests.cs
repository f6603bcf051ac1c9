using TTL.Cuda.Nvrtc;

namespace TTL.Cuda.Tests.Driver;

public sealed class GpuArchTests
{
    [Theory]
    [InlineData("compute_90", 90, false, "ptx")]
    [InlineData("sm_80", 80, true, "cubin")]
    [InlineData("sm_90a", 90, true, "cubin")]
    [InlineData("compute_100", 100, false, "ptx")]
    public void Architectures_parse_into_number_and_image_kind(string text, int number, bool real, string kind)
    {
        var a = GpuArch.Parse(text);
        Assert.Equal((number, real, kind, text), (a.Number, a.IsReal, a.ImageKind, a.Name));
        Assert.Equal("--gpu-architecture=" + text, a.Option);
    }

    [Theory]
    [InlineData("sm90")]
    [InlineData("compute_9")]
    [InlineData("cuda")]
    [InlineData("sm_90x")]
    public void Malformed_architectures_are_refused(string text)
    {
        Assert.False(GpuArch.TryParse(text, out _));
        Assert.Throws<FormatException>(() => GpuArch.Parse(text));
    }

    [Fact]
    public void A_device_gets_its_own_cubin_when_nvrtc_knows_it_and_forward_compatible_ptx_otherwise()
    {
        int[] nvrtc118 = [35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];
        Assert.Equal("sm_90", GpuDevice.ChooseTarget(90, nvrtc118).Name);
        Assert.Equal("sm_86", GpuDevice.ChooseTarget(86, nvrtc118).Name);
        Assert.Equal("compute_90", GpuDevice.ChooseTarget(100, nvrtc118).Name);
        Assert.Equal("compute_80", GpuDevice.ChooseTarget(85, [75, 80, 90]).Name);
        Assert.Throws<CudaException>(() => GpuDevice.ChooseTarget(75, [80, 90]));
    }
}
