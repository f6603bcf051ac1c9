using System.Reflection;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;
using TTL.Cuda.Nvrtc;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>
/// The CUDA execution model as the toolkit's kernels rely on it, through the test-only probes of
/// native/cudasim/probes/execution_model.cu: barriers, shared memory, warp intrinsics and atomics
/// give what the programming guide defines, on a GPU and on the simulator. On the simulator, two
/// deliberately broken kernels (a missing __syncthreads, an off-by-one in a shuffle reduction)
/// give wrong answers where their correct versions give right ones: it runs threads as a GPU does,
/// not one after another to the end; and what a GPU leaves undefined (a divergent barrier, a
/// shuffle with an exited lane, a write past an allocation) it reports as a fault.
/// </summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class ExecutionModelTests
{
    private const int Blocks = 4, Threads = 256;

    private static float[] Values(int n, int seed)
    {
        // Small integers: every float sum below is exact, whatever the order of additions.
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.Next(-50, 51)).ToArray();
    }

    private static float[] BlockSums(float[] x, int size) =>
        Enumerable.Range(0, x.Length / size).Select(b => x.Skip(b * size).Take(size).Sum()).ToArray();

    private static float[] Run(string entry, float[] x, int outputs, int blocks, int threads)
    {
        var gpu = Gpus.Device;
        using var dx = gpu.Upload<float>(x);
        using var dout = gpu.Alloc<float>(outputs);
        Probes.Kernel(entry).Launch(new Dim3((uint)blocks), new Dim3((uint)threads), new KernelArgs().Ptr(dx.Ptr).Ptr(dout.Ptr), gpu.Stream);
        gpu.Synchronize();
        return dout.ToArray(gpu.Stream);
    }

    [GpuFact]
    public void A_block_reduction_through_shared_memory_with_barriers_sums_every_block()
    {
        var x = Values(Blocks * Threads, 1);
        Assert.Equal(BlockSums(x, Threads), Run("probe_block_sum", x, Blocks, Blocks, Threads));
    }

    [SimulatorFact]
    public void The_same_reduction_without_its_barriers_reads_partial_sums_not_yet_written()
    {
        // Threads that ran to the end one after another would fail the correct kernel too; the
        // simulator passes it (above) and fails this one, in every block that runs its threads in
        // ascending order (every other block): a thread then reads s[t + stride] before its owner
        // wrote it, and gets the 0xFF bytes shared memory starts with (NaN). A GPU's result here
        // depends on warp timing, so this is checked on the simulator only.
        var x = Values(Blocks * Threads, 2);
        var expected = BlockSums(x, Threads);
        var got = Run("probe_block_sum_missing_barrier", x, Blocks, Blocks, Threads);
        Assert.Contains(got.Zip(expected), p => p.First != p.Second);
        Assert.Equal(expected, Run("probe_block_sum", x, Blocks, Blocks, Threads));
    }

    [GpuFact]
    public void A_shuffle_reduction_sums_each_warp_and_one_with_an_off_by_one_loop_bound_does_not()
    {
        var x = Values(Blocks * Threads, 3);
        var expected = BlockSums(x, 32);
        Assert.Equal(expected, Run("probe_warp_sum", x, expected.Length, Blocks, Threads));
        // Without the last step (offset 1) lane 0 holds the sum of the even lanes only.
        var evenLanes = Enumerable.Range(0, expected.Length).Select(w => Enumerable.Range(0, 16).Sum(k => x[w * 32 + 2 * k])).ToArray();
        var broken = Run("probe_warp_sum_off_by_one", x, expected.Length, Blocks, Threads);
        Assert.Equal(evenLanes, broken);
        Assert.NotEqual(expected, broken);
    }

    [GpuFact]
    public void Warp_intrinsics_exchange_values_as_the_programming_guide_defines()
    {
        const int n = 2 * 64;
        var rng = new System.Random(4);
        var x = Enumerable.Range(0, n).Select(_ => rng.Next(-20, 60)).ToArray();
        var keys = Enumerable.Range(0, n).Select(_ => (uint)rng.Next(0, 4) * 0x10001u).ToArray();
        var gpu = Gpus.Device;
        foreach (int width in new[] { 32, 8, 4 })
        {
            using var dx = gpu.Upload<int>(x);
            using var dk = gpu.Upload<uint>(keys);
            var outs = Enumerable.Range(0, 7).Select(_ => gpu.Alloc<int>(n)).ToArray();
            try
            {
                var args = new KernelArgs().Ptr(dx.Ptr).Ptr(dk.Ptr).I32(width);
                foreach (var o in outs) args.Ptr(o.Ptr);
                Probes.Kernel("probe_warp_intrinsics").Launch(new Dim3(2), new Dim3(64), args, gpu.Stream);
                var got = outs.Select(o => o.ToArray(gpu.Stream)).ToArray();
                for (int i = 0; i < n; i++)
                {
                    int warp = i / 32 * 32, lane = i % 32, seg = lane & ~(width - 1);
                    int Lane(int l) => x[warp + l];
                    string at = $"width {width}, thread {i}";
                    Assert.True(Lane(seg + (3 & (width - 1))) == got[0][i], $"__shfl_sync, {at}");
                    Assert.True((lane - 2 < seg ? x[i] : Lane(lane - 2)) == got[1][i], $"__shfl_up_sync, {at}");
                    Assert.True((lane + 5 >= seg + width ? x[i] : Lane(lane + 5)) == got[2][i], $"__shfl_down_sync, {at}");
                    Assert.True(((lane ^ 6) >= seg + width ? x[i] : Lane(lane ^ 6)) == got[3][i], $"__shfl_xor_sync, {at}");
                    uint ballot = 0, match = 0;
                    bool any = false, all = true;
                    for (int l = 0; l < 32; l++)
                    {
                        if (Lane(l) > 0) ballot |= 1u << l;
                        any |= Lane(l) > 40;
                        all &= Lane(l) > -1000;
                        if (keys[warp + l] == keys[i]) match |= 1u << l;
                    }
                    Assert.True(ballot == (uint)got[4][i], $"__ballot_sync, {at}");
                    Assert.True((any ? 1 : 0) + (all ? 2 : 0) == got[5][i], $"__any_sync/__all_sync, {at}");
                    Assert.True(match == (uint)got[6][i], $"__match_any_sync, {at}");
                }
            }
            finally
            {
                foreach (var o in outs) o.Dispose();
            }
        }
    }

    [GpuFact]
    public void Atomic_adds_hand_out_every_count_exactly_once()
    {
        var gpu = Gpus.Device;
        using var counter = gpu.Alloc<uint>(1);
        counter.Clear(gpu.Stream);
        using var arrival = gpu.Alloc<uint>(3 * 96);
        Probes.Kernel("probe_atomic_count").Launch(new Dim3(3), new Dim3(96), new KernelArgs().Ptr(counter.Ptr).Ptr(arrival.Ptr), gpu.Stream);
        Assert.Equal(Enumerable.Range(0, 3 * 96).Select(i => (uint)i), arrival.ToArray(gpu.Stream).Order());
        Assert.Equal(3u * 96, counter.ToArray(gpu.Stream)[0]);
    }

    [SimulatorFact]
    public void Shared_memory_starts_undefined_and_reads_as_nan_before_it_is_written()
    {
        var gpu = Gpus.Device;
        using var o = gpu.Alloc<float>(64);
        o.Clear(gpu.Stream);
        Probes.Kernel("probe_uninitialised_shared").Launch(new Dim3(1), new Dim3(64), new KernelArgs().Ptr(o.Ptr), gpu.Stream);
        Assert.All(o.ToArray(gpu.Stream), v => Assert.True(float.IsNaN(v), $"{v}"));
    }

    [SimulatorFact]
    public void A_barrier_that_some_threads_of_the_block_returned_before_is_reported()
    {
        var gpu = Gpus.Device;
        using var o = gpu.Alloc<float>(64);
        Probes.Kernel("probe_divergent_barrier").Launch(new Dim3(1), new Dim3(64), new KernelArgs().Ptr(o.Ptr).I32(40), gpu.Stream);
        var e = Assert.Throws<CudaException>(() => gpu.Synchronize());
        Assert.Equal("CUDA_ERROR_LAUNCH_FAILED", e.ErrorName);
        Assert.Contains("probe_divergent_barrier block (0, 0, 0)", e.Message);
        Assert.Contains("__syncthreads reached by 40 thread(s) after 24 thread(s) of the block exited", e.Message);
        // Every thread reaching it is fine, and the device is usable after the fault.
        Probes.Kernel("probe_divergent_barrier").Launch(new Dim3(1), new Dim3(64), new KernelArgs().Ptr(o.Ptr).I32(64), gpu.Stream);
        Assert.Equal(Enumerable.Range(0, 64).Select(t => (float)((t + 1) % 64)), o.ToArray(gpu.Stream));
    }

    [SimulatorFact]
    public void A_shuffle_that_names_an_exited_lane_is_reported()
    {
        var gpu = Gpus.Device;
        using var o = gpu.Alloc<float>(32);
        Probes.Kernel("probe_shuffle_after_exit").Launch(new Dim3(1), new Dim3(32), new KernelArgs().Ptr(o.Ptr), gpu.Stream);
        var e = Assert.Throws<CudaException>(() => gpu.Synchronize());
        Assert.Contains("__shfl_down_sync waits for lane 16, which has exited", e.Message);
    }

    [SimulatorFact]
    public void A_write_past_the_end_of_an_allocation_is_an_illegal_address_reported_at_the_next_synchronisation()
    {
        var gpu = Gpus.Device;
        // 64 floats end at a guard page; 65 leave 252 bytes of slack before it, checked after the launch.
        foreach (int n in new[] { 64, 65 })
        {
            using var x = gpu.Alloc<float>(n);
            Probes.Kernel("probe_write_at").Launch(new Dim3(1), new Dim3(32), new KernelArgs().Ptr(x.Ptr).I64(n), gpu.Stream);
            var e = Assert.Throws<CudaException>(() => gpu.Synchronize());
            Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", e.ErrorName);
            Assert.Contains($"the {4 * n}-byte allocation", e.Message);
            Probes.Kernel("probe_write_at").Launch(new Dim3(1), new Dim3(32), new KernelArgs().Ptr(x.Ptr).I64(n - 1), gpu.Stream);
            gpu.Synchronize();
        }
    }

    [SimulatorFact]
    public void A_pointer_argument_outside_device_memory_is_an_illegal_address()
    {
        var gpu = Gpus.Device;
        var freed = gpu.Alloc<float>(16);
        var stale = freed.Ptr;
        freed.Dispose();
        Probes.Kernel("probe_write_at").Launch(new Dim3(1), new Dim3(32), new KernelArgs().Ptr(stale).I64(0), gpu.Stream);
        var e = Assert.Throws<CudaException>(() => gpu.Synchronize());
        Assert.Contains("parameter 0", e.Message);
        Assert.Contains("is not in device memory", e.Message);
    }

    [GpuFact]
    public void A_thread_without_a_current_context_is_refused()
    {
        var driver = Gpus.Device.Device.Driver;
        int code = -1;
        var t = new Thread(() =>
        {
            unsafe
            {
                ulong p;
                code = driver.cuMemAlloc(&p, 64);
                if (code == 0) driver.cuMemFree(p);
            }
        });
        t.Start();
        t.Join();
        Assert.Equal(201, code); // CUDA_ERROR_INVALID_CONTEXT
    }

    [GpuFact]
    public void The_probes_load_from_ptx_and_from_a_cubin()
    {
        foreach (var arch in new[] { new GpuArch(80, IsReal: false), Gpus.Device.Target })
        {
            using var module = Probes.Load(arch);
            var x = Values(64, 5);
            var gpu = Gpus.Device;
            using var dx = gpu.Upload<float>(x);
            using var dout = gpu.Alloc<float>(2);
            module.Function("probe_warp_sum").Launch(new Dim3(1), new Dim3(64), new KernelArgs().Ptr(dx.Ptr).Ptr(dout.Ptr), gpu.Stream);
            Assert.Equal(BlockSums(x, 32), dout.ToArray(gpu.Stream));
        }
    }

    [SimulatorFact]
    public void The_simulator_refuses_a_module_with_a_kernel_it_was_not_built_with()
    {
        var image = Gpus.Device.Cache.Compiler.Compile("extern \"C\" __global__ void not_in_the_simulator(float* x) { x[0] = 1; }", "extra.cu",
            new Dictionary<string, string>(), Gpus.Device.Target, KernelSources.Options);
        var e = Assert.Throws<CudaException>(() => CudaModule.Load(Gpus.Device.Context, image.Image, image.IsPtx, "extra.cu"));
        Assert.Contains("not_in_the_simulator is not compiled into the simulator", e.Message);
    }

    [SimulatorFact]
    public void The_simulator_has_no_clock_so_kernels_cannot_be_timed_on_it()
    {
        var ctx = Gpus.Device.Context;
        using var start = new CudaEvent(ctx);
        using var end = new CudaEvent(ctx);
        start.Record(Gpus.Device.Stream);
        end.Record(Gpus.Device.Stream);
        end.Synchronize();
        var e = Assert.Throws<CudaException>(() => end.ElapsedSince(start));
        Assert.Equal("CUDA_ERROR_NOT_SUPPORTED", e.ErrorName);
        Assert.Contains("no clock", e.Message);
    }
}

/// <summary>The probe kernels, compiled by NVRTC for the device like the toolkit's and loaded once per target.</summary>
internal static class Probes
{
    public const string File = "execution_model.cu";

    private static readonly Lazy<string> _source = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Probes." + File)!;
        return new StreamReader(s).ReadToEnd();
    });

    private static readonly Lazy<CudaModule> _module = new(() => Load(Gpus.Device.Target));

    public static CudaKernel Kernel(string entry) => _module.Value.Function(entry);

    public static CudaModule Load(GpuArch arch)
    {
        var driver = Gpus.Device.Device.Driver;
        if (driver.IsSimulator) driver.EnsureSimulatorBuiltFrom(File, _source.Value);
        var image = Gpus.Device.Cache.Compiler.Compile(_source.Value, File, new Dictionary<string, string>(), arch, KernelSources.Options);
        return CudaModule.Load(Gpus.Device.Context, image.Image, image.IsPtx, File);
    }
}
