using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;
using TTL.Torch;

namespace TTL.Cuda.Tests.Gpu;

[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuDriverTests
{
    [GpuFact]
    public void The_device_reports_name_compute_capability_and_memory()
    {
        var d = Gpus.Device.Device;
        Assert.False(string.IsNullOrWhiteSpace(d.Name));
        Assert.True(d.ComputeCapability.Major >= 7, d.ToString());
        Assert.True(d.TotalMemoryBytes > 1L << 30);
        Assert.True(d.Multiprocessors > 0);
        var (free, total) = Gpus.Device.Context.MemoryInfo();
        Assert.InRange(free, 1, total);
    }

    [GpuFact]
    public void Buffers_round_trip_and_clear()
    {
        var values = Enumerable.Range(0, 100_003).Select(i => i * 0.5f - 7).ToArray();
        using var b = Gpus.Device.Upload<float>(values);
        Assert.Equal(values, b.ToArray());
        b.Fill32(BitConverter.SingleToUInt32Bits(2.5f));
        Assert.All(b.ToArray(), v => Assert.Equal(2.5f, v));
        using var c = Gpus.Device.Alloc<float>(values.Length);
        c.CopyFrom(b.Ptr, values.Length);
        b.Clear();
        Assert.All(b.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(c.ToArray(), v => Assert.Equal(2.5f, v));
    }

    [GpuFact]
    public void Every_kernel_loads_for_this_device_within_its_launch_bounds()
    {
        foreach (var (source, entries) in CompiledKernels.Entries)
            foreach (var entry in entries)
            {
                var at = Gpus.Device.Kernel(source, entry).Attributes;
                Assert.InRange(at.Registers, 1, 255);
                Assert.True(at.LocalBytes == 0, $"{entry} spills {at.LocalBytes} bytes per thread to local memory");
                Assert.True(at.MaxThreadsPerBlock >= 256, $"{entry}: {at.MaxThreadsPerBlock} threads per block");
            }
    }

    [GpuFact]
    public void A_bad_launch_raises_the_driver_error_naming_the_call()
    {
        var call = KernelCalls.IntensityMapInPlace(DevicePtr.Null, 0, IntensityMap.None);
        var e = Assert.Throws<CudaException>(() => Gpus.Device.Kernel(call.Source, call.Entry).Launch(new Dim3(1), new Dim3(4096), call.Args));
        Assert.Contains("cuLaunchKernel (ttl_intensity_map)", e.Message);
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.ErrorName);
    }

    [GpuTorchFact]
    public void Libtorch_uses_the_primary_context_the_toolkit_retains()
    {
        Assert.True(torch.cuda.is_available(), "the native shim was not built against a CUDA libtorch");
        using var t = torch.ones([1024], DType.Float32, Device.CUDA(0));
        torch.cuda.synchronize();
        var ctx = Gpus.Device.Context;
        // The runtime made its (primary) context current on this thread; it must be the one we hold.
        unsafe
        {
            IntPtr current;
            ctx.Driver.Check(ctx.Driver.cuCtxGetCurrent(&current), "cuCtxGetCurrent");
            Assert.Equal(ctx.Handle, current);
        }
        // And our kernels work on its memory in place.
        var v = Imaging.Cuda.GpuVolume.Borrow(Gpus.Device, new DevicePtr((ulong)t.data_ptr()), 1, [4, 16, 16], new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } });
        Imaging.Cuda.GpuIntensity.Apply(v, IntensityMap.Linear(3f, 1f));
        Gpus.Device.Synchronize();
        using var back = t.to(Device.CPU);
        Assert.All(back.AsSpan<float>().ToArray(), x => Assert.Equal(4f, x));
    }
}
