using TTL.Analysis.Svcca;
using TTL.Analysis.Svcca.Cpu;
using TTL.Analysis.Svcca.Cuda;
using TTL.Torch;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>The CUDA SVCCA backend against the CPU one: scatter to float64 round-off, coefficients within 1e-5.</summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuSvccaParityTests
{
    private const int Rows = 3001, Ca = 37, Cb = 23;

    /// <summary>Correlated activations with large positive means (ReLU-like), where naive scatter formulas cancel.</summary>
    private static (float[] A, float[] B) Activations(int seed)
    {
        var rng = new System.Random(seed);
        var a = new float[Rows * Ca];
        var b = new float[Rows * Cb];
        for (int r = 0; r < Rows; r++)
        {
            double z0 = rng.NextDouble(), z1 = rng.NextDouble(), z2 = rng.NextDouble();
            for (int c = 0; c < Ca; c++) a[r * Ca + c] = (float)(50 + c + Math.Sin(c) * z0 + Math.Cos(c * 0.7) * z1 + 0.3 * rng.NextDouble());
            for (int c = 0; c < Cb; c++) b[r * Cb + c] = (float)(20 + Math.Cos(c) * z0 - Math.Sin(c * 1.3) * z2 + 0.5 * rng.NextDouble());
        }
        return (a, b);
    }

    private static void SameResult(SvccaResult cpu, SvccaResult gpu)
    {
        Assert.Equal((cpu.KeptA, cpu.KeptB), (gpu.KeptA, gpu.KeptB));
        Gpus.Close(cpu.Cca, gpu.Cca, 1e-5, "canonical correlations");
        Gpus.Close([cpu.Pwcca, cpu.Cka, cpu.ExplainedA, cpu.ExplainedB], [gpu.Pwcca, gpu.Cka, gpu.ExplainedA, gpu.ExplainedB], 1e-5, "pwcca, cka, explained");
    }

    [GpuFact]
    public void Accumulation_and_analysis_match_the_cpu_backend()
    {
        var (a, b) = Activations(1);
        var options = new AccumulatorOptions { BlockRows = 512, MinibatchCka = true };
        JointMoments cpuM, gpuM;
        using (var cpu = CpuSvccaBackend.Instance.CreateAccumulator(Ca, Cb, options))
        {
            // Uneven calls: blocks must fill across them exactly as on the CPU.
            cpu.Add(a.AsSpan(0, 700 * Ca), b.AsSpan(0, 700 * Cb), 700);
            cpu.Add(a.AsSpan(700 * Ca), b.AsSpan(700 * Cb), Rows - 700);
            cpuM = cpu.Finish();
        }
        var backend = new GpuSvccaBackend(Gpus.Device);
        using (var gpu = backend.CreateAccumulator(Ca, Cb, options))
        {
            gpu.Add(a.AsSpan(0, 700 * Ca), b.AsSpan(0, 700 * Cb), 700);
            gpu.Add(a.AsSpan(700 * Ca), b.AsSpan(700 * Cb), Rows - 700);
            gpuM = gpu.Finish();
        }
        Assert.Equal(cpuM.N, gpuM.N);
        Gpus.Close(cpuM.Mean, gpuM.Mean, 1e-12, "mean");
        Gpus.CloseScatter(cpuM.Scatter, gpuM.Scatter, Ca + Cb, 1e-11, "scatter");
        Gpus.Close([cpuM.Minibatch!.Cka], [gpuM.Minibatch!.Cka], 1e-9, "minibatch CKA");

        var o = new SvccaOptions();
        SameResult(CpuSvccaBackend.Instance.Analyze(cpuM, o), backend.Analyze(cpuM, o));
        SameResult(CpuSvccaBackend.Instance.Analyze(cpuM, o with { Keep = 5 }), backend.Analyze(cpuM, o with { Keep = 5 }));
    }

    [GpuTorchFact]
    public void Cuda_tensors_are_read_in_place_including_column_slices()
    {
        var (a, b) = Activations(2);
        var options = new AccumulatorOptions { BlockRows = 1000 };
        JointMoments cpuM;
        using (var cpu = CpuSvccaBackend.Instance.CreateAccumulator(Ca, Cb, options))
        {
            cpu.Add(a, b, Rows);
            cpuM = cpu.Finish();
        }
        using var scope = torch.NewDisposeScope();
        // A wider tensor sliced to Ca columns: row stride Ca + 5, a view, not a copy.
        var wide = torch.zeros([Rows, Ca + 5], DType.Float32);
        wide.narrow(1, 0, Ca).copy_(torch.tensor(a, Rows, Ca));
        var ta = wide.to(Device.CUDA(0)).narrow(1, 0, Ca);
        var tb = torch.tensor(b, Rows, Cb).to(Device.CUDA(0), DType.Float64);
        Assert.False(ta.is_contiguous());
        using var gpu = new GpuSvccaBackend(Gpus.Device).CreateAccumulator(Ca, Cb, options);
        gpu.Add(ta.narrow(0, 0, 1234), tb.narrow(0, 0, 1234).to(DType.Float32));
        gpu.Add(ta.narrow(0, 1234, Rows - 1234), tb.narrow(0, 1234, Rows - 1234).to(DType.Float32));
        var gpuM = gpu.Finish();
        Gpus.CloseScatter(cpuM.Scatter, gpuM.Scatter, Ca + Cb, 1e-11, "scatter from CUDA tensors");
    }

    [GpuFact]
    public void Device_rows_are_read_in_place_through_row_strides_in_float32_and_float64()
    {
        // Column slices of wider row-major matrices already on the device: A as float32 with 5 spare
        // columns per row, B as float64 with 3; added in uneven pieces across blocks.
        var (a, b) = Activations(4);
        var options = new AccumulatorOptions { BlockRows = 700 };
        JointMoments cpuM;
        using (var cpu = CpuSvccaBackend.Instance.CreateAccumulator(Ca, Cb, options))
        {
            cpu.Add(a, b, Rows);
            cpuM = cpu.Finish();
        }
        int lda = Ca + 5, ldb = Cb + 3;
        var wideA = new float[Rows * lda];
        var wideB = new double[Rows * ldb];
        for (int r = 0; r < Rows; r++)
        {
            Array.Copy(a, r * Ca, wideA, r * lda, Ca);
            for (int c = 0; c < Cb; c++) wideB[r * ldb + c] = b[r * Cb + c];
        }
        var gpu = Gpus.Device;
        using var da = gpu.Upload<float>(wideA);
        using var db = gpu.Upload<double>(wideB);
        using var db32 = gpu.Upload<float>(wideB.Select(v => (float)v).ToArray());
        using var acc = (GpuJointMomentAccumulator)new GpuSvccaBackend(gpu).CreateAccumulator(Ca, Cb, options);
        acc.AddDeviceRows(false, da.Ptr, lda, db32.Ptr, ldb, 1234);
        acc.AddDeviceRows(false, da.Ptr.Plus<float>(1234L * lda), lda, db32.Ptr.Plus<float>(1234L * ldb), ldb, Rows - 1234);
        var gpuM = acc.Finish();
        Assert.Equal(cpuM.N, gpuM.N);
        Gpus.CloseScatter(cpuM.Scatter, gpuM.Scatter, Ca + Cb, 1e-11, "scatter from strided float32 device rows");

        // float64 rows of both sides (A widened on the host).
        using var da64 = gpu.Upload<double>(wideA.Select(v => (double)v).ToArray());
        using var acc64 = (GpuJointMomentAccumulator)new GpuSvccaBackend(gpu).CreateAccumulator(Ca, Cb, options);
        acc64.AddDeviceRows(true, da64.Ptr, lda, db.Ptr, ldb, Rows);
        Gpus.CloseScatter(cpuM.Scatter, acc64.Finish().Scatter, Ca + Cb, 1e-11, "scatter from strided float64 device rows");
        Assert.Throws<ArgumentException>(() => acc64.AddDeviceRows(true, da64.Ptr, Ca - 1, db.Ptr, ldb, 1));
    }

    [GpuFact]
    public void A_non_finite_activation_is_reported_with_row_and_column()
    {
        var (a, b) = Activations(3);
        b[1500 * Cb + 4] = float.NaN;
        using var gpu = new GpuSvccaBackend(Gpus.Device).CreateAccumulator(Ca, Cb, new AccumulatorOptions { BlockRows = 256 });
        var e = Assert.Throws<ActivationDataException>(() => { gpu.Add(a, b, Rows); gpu.Finish(); });
        Assert.Contains("row 1500, column 4", e.Message);
    }
}
