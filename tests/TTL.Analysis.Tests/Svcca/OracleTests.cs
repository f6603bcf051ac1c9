using System.Text.Json;
using TTL.Analysis.Svcca;
using TTL.TestSupport;
using static TTL.Analysis.Tests.Svcca.TestMatrices;

namespace TTL.Analysis.Tests.Svcca;

/// <summary>Ours against the published algorithm on NumPy (tests/oracles/svcca_ref.py), float64.</summary>
public class OracleTests
{
    private const double Tol = 1e-6;

    private static void AgreeWithOracle(double[] a, double[] b, int n, int ca, int cb, string[] oracleArgs, SvccaOptions options, int batch)
    {
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), a, n, ca);
        Write(dir.File("b.safetensors"), b, n, cb);
        var json = JsonDocument.Parse(Python.RunOracle("svcca_ref.py",
            [dir.File("a.safetensors"), dir.File("b.safetensors"), "--batch", batch.ToString(), .. oracleArgs])).RootElement;

        var ours = SvccaAnalysis.Compare(Matrix(a, n, ca), Matrix(b, n, cb), options,
            new AccumulatorOptions { BlockRows = batch, MinibatchCka = true, Threads = 2 });

        Assert.Equal(json.GetProperty("kept_a").GetInt32(), ours.KeptA);
        Assert.Equal(json.GetProperty("kept_b").GetInt32(), ours.KeptB);
        var cca = json.GetProperty("cca").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(cca.Length, ours.Cca.Length);
        for (int i = 0; i < cca.Length; i++) Assert.True(Math.Abs(cca[i] - ours.Cca[i]) < Tol, $"coefficient {i}: oracle {cca[i]}, ours {ours.Cca[i]}");
        Assert.True(Math.Abs(json.GetProperty("mean_cca").GetDouble() - ours.MeanCca) < Tol);
        Assert.True(Math.Abs(json.GetProperty("pwcca").GetDouble() - ours.Pwcca) < Tol, $"pwcca oracle {json.GetProperty("pwcca")}, ours {ours.Pwcca}");
        Assert.True(Math.Abs(json.GetProperty("cka").GetDouble() - ours.Cka) < Tol, $"cka oracle {json.GetProperty("cka")}, ours {ours.Cka}");
        Assert.True(Math.Abs(json.GetProperty("cka_minibatch").GetDouble() - ours.CkaMinibatch!.Value) < Tol,
            $"minibatch cka oracle {json.GetProperty("cka_minibatch")}, ours {ours.CkaMinibatch}");
    }

    [Fact]
    public void RandomMatricesMatchThePublishedAlgorithmWithin1e6()
    {
        const int n = 2000, ca = 40, cb = 28;
        // Anisotropic columns so that the 99% cut keeps fewer than all directions.
        var a = Times(Gaussian(n, ca, 1), n, ca, Gaussian(ca, ca, 2), ca);
        var b = Times(Gaussian(n, cb, 3), n, cb, Gaussian(cb, cb, 4), cb);
        AgreeWithOracle(a, b, n, ca, cb, [], new SvccaOptions(), 256);
    }

    [Fact]
    public void StructuredMatricesWithLargeMeansMatchThePublishedAlgorithmWithin1e6()
    {
        const int n = 3000, ca = 32, cb = 24;
        var (a, b) = SharedLatent(n, ca, cb, 6, 0.2, 10);
        // ReLU-like offsets: means far above the spread test the centring.
        for (int i = 0; i < a.Length; i++) a[i] += 50 + i % ca;
        for (int i = 0; i < b.Length; i++) b[i] -= 20;
        AgreeWithOracle(a, b, n, ca, cb, [], new SvccaOptions(), 200);
    }

    [Fact]
    public void FixedKeepMatchesThePublishedAlgorithmWithin1e6()
    {
        const int n = 1500, ca = 20, cb = 30;
        var (a, b) = SharedLatent(n, ca, cb, 4, 1.0, 20);
        AgreeWithOracle(a, b, n, ca, cb, ["--keep", "12"], new SvccaOptions { Keep = 12 }, 128);
    }
}
