using TTL.Analysis.Activations;
using TTL.Analysis.Svcca;
using TTL.Analysis.Svcca.Cpu;
using TTL.TestSupport;
using TTL.Torch;
using static TTL.Analysis.Tests.Svcca.TestMatrices;

namespace TTL.Analysis.Tests.Svcca;

public class StreamingTests
{
    [Fact]
    public void ScatterEqualsTheDirectFloat64ProductOnCentredData()
    {
        const int n = 777, ca = 13, cb = 6;   // odd sizes: partial panels and a partial last block
        var (a, b) = SharedLatent(n, ca, cb, 2, 0.3, 80);
        for (int i = 0; i < a.Length; i++) a[i] += 1000;
        using var acc = new CpuJointMomentAccumulator(ca, cb, new AccumulatorOptions { BlockRows = 100 });
        acc.Add(a, b, n);
        var m = acc.Finish();

        using var scope = torch.NewDisposeScope();
        var x = torch.cat([torch.tensor(a, n, ca), torch.tensor(b, n, cb)], 1);
        var xc = x - x.mean(0, keepdim: true);
        var expected = xc.T.mm(xc).data<double>();
        double scale = expected.Max(Math.Abs);
        for (int k = 0; k < expected.Length; k++) Assert.True(Math.Abs(expected[k] - m.Scatter[k]) < 1e-12 * scale * 10, $"entry {k}");
        var mean = x.mean(0).data<double>();
        for (int k = 0; k < mean.Length; k++) Assert.Equal(mean[k], m.Mean[k], 1e-9);
    }

    [Fact]
    public void StreamingOverIrregularChunksEqualsOneShot()
    {
        const int n = 5000, ca = 18, cb = 11;
        var (a, b) = SharedLatent(n, ca, cb, 4, 0.4, 90);
        var opts = new AccumulatorOptions { BlockRows = 256, MinibatchCka = true };
        using var one = new CpuJointMomentAccumulator(ca, cb, opts);
        one.Add(a, b, n);
        var whole = one.Finish();
        using var streamed = new CpuJointMomentAccumulator(ca, cb, opts);
        int[] sizes = [1, 17, 300, 4, 1000, 255, 3423];
        int start = 0;
        foreach (int s in sizes)
        {
            streamed.Add(a.AsSpan(start * ca, s * ca), b.AsSpan(start * cb, s * cb), s);
            start += s;
        }
        Assert.Equal(n, start);
        var parts = streamed.Finish();
        Assert.Equal(whole.N, parts.N);
        for (int k = 0; k < whole.Scatter.Length; k++) Assert.Equal(whole.Scatter[k], parts.Scatter[k], 1e-9);
        Assert.Equal(whole.Minibatch!.Cka, parts.Minibatch!.Cka, 1e-12);
        var r1 = CpuSvccaBackend.Instance.Analyze(whole, new SvccaOptions());
        var r2 = CpuSvccaBackend.Instance.Analyze(parts, new SvccaOptions());
        for (int i = 0; i < r1.Cca.Length; i++) Assert.Equal(r1.Cca[i], r2.Cca[i], 1e-10);
    }

    [Fact]
    public void FloatTensorsAndSpansGiveTheSameMoments()
    {
        const int n = 600, c = 9;
        var a = Gaussian(n, c, 100).Select(v => (float)v).ToArray();
        var b = Gaussian(n, c, 101).Select(v => (float)v).ToArray();
        using var x = new CpuJointMomentAccumulator(c, c);
        x.Add(a, b, n);
        using var y = new CpuJointMomentAccumulator(c, c);
        using (var ta = torch.tensor(a, n, c)) using (var tb = torch.tensor(b, n, c)) y.Add(ta, tb);
        Assert.Equal(x.Finish().Scatter, y.Finish().Scatter);
    }

    [Fact]
    public void FiveDimensionalActivationsFoldSpatialPositionsIntoSamples()
    {
        const int batch = 3, c = 4, d = 2, h = 3, w = 2, s = d * h * w;
        var x = Gaussian(batch * c * s, 1, 110);
        using var dir = new TempDir();
        Write(dir.File("x.safetensors"), x, batch, c, d, h, w);
        var m = ActivationMatrix.Read(dir.File("x.safetensors"));
        Assert.Equal(batch * s, m.Rows);
        Assert.Equal(c, m.Columns);
        var rows = new double[batch * s * c];
        m.CopyRows(0, batch * s, rows);
        for (int bi = 0; bi < batch; bi++)
            for (int ci = 0; ci < c; ci++)
                for (int p = 0; p < s; p++)
                    Assert.Equal(x[(bi * c + ci) * s + p], rows[(bi * s + p) * c + ci]);

        var pooled = ActivationMatrix.Read(dir.File("x.safetensors"), fold: SpatialFold.AveragePool);
        Assert.Equal(batch, pooled.Rows);
        var prow = new double[batch * c];
        pooled.CopyRows(0, batch, prow);
        for (int bi = 0; bi < batch; bi++)
            for (int ci = 0; ci < c; ci++)
                Assert.Equal(Enumerable.Range(0, s).Average(p => x[(bi * c + ci) * s + p]), prow[bi * c + ci], 1e-12);
    }

    [Fact]
    public void SubsamplingIsSeededAndKeepsRowsPaired()
    {
        const int n = 1000, c = 3;
        var x = Gaussian(n, c, 120);
        var a = Matrix(x, n, c).Subsample(100, 5);
        var b = Matrix(x, n, c).Subsample(100, 5);
        var other = Matrix(x, n, c).Subsample(100, 6);
        Assert.Equal(100, a.Rows);
        var ra = new double[100 * c];
        var rb = new double[100 * c];
        var ro = new double[100 * c];
        a.CopyRows(0, 100, ra);
        b.CopyRows(0, 100, rb);
        other.CopyRows(0, 100, ro);
        Assert.Equal(ra, rb);
        Assert.NotEqual(ra, ro);
        Assert.Equal(100, ra.Chunk(c).Select(r => r[0]).Distinct().Count());
    }

    [Fact]
    public void NonFiniteValuesAreRejectedNamingTheFile()
    {
        const int n = 50, c = 4;
        var x = Gaussian(n, c, 130);
        x[37] = double.NaN;
        var e = Assert.Throws<InvalidDataException>(() =>
            SvccaAnalysis.Compare(Matrix(x, n, c, "bad.safetensors"), Matrix(Gaussian(n, c, 131), n, c, "good.safetensors"), new SvccaOptions()));
        Assert.StartsWith("bad.safetensors: row 9", e.Message);
    }

    [Fact]
    public void ConstantActivationsAreRejectedNamingTheFile()
    {
        const int n = 50, c = 4;
        var e = Assert.Throws<InvalidDataException>(() =>
            SvccaAnalysis.Compare(Matrix(Gaussian(n, c, 140), n, c, "a.st"), Matrix(new double[n * c], n, c, "zero.st"), new SvccaOptions()));
        Assert.StartsWith("zero.st: ", e.Message);
    }
}
