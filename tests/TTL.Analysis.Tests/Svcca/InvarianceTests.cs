using TTL.Analysis.Svcca;
using TTL.Analysis.Svcca.Cpu;
using static TTL.Analysis.Tests.Svcca.TestMatrices;

namespace TTL.Analysis.Tests.Svcca;

public class InvarianceTests
{
    // No SVD cut and no ridge: exactly CCA, which is affine-invariant (the ridge ε·λ_max is not).
    private static readonly SvccaOptions KeepAll = new() { VarianceFraction = 1.0, Epsilon = 0 };

    private static SvccaResult Run(double[] a, double[] b, int n, int ca, int cb, SvccaOptions? o = null) =>
        SvccaAnalysis.Compare(Matrix(a, n, ca), Matrix(b, n, cb), o ?? new SvccaOptions());

    [Fact]
    public void InvertibleLinearTransformOfEitherSideLeavesCcaUnchanged()
    {
        const int n = 3000, ca = 16, cb = 12;
        var (a, b) = SharedLatent(n, ca, cb, 5, 0.5, 30);
        // Well conditioned: identity plus a small random part.
        var m = Gaussian(ca, ca, 31).Select(v => 0.2 * v).ToArray();
        for (int i = 0; i < ca; i++) m[i * ca + i] += 1;
        var mb = Gaussian(cb, cb, 32).Select(v => 0.2 * v).ToArray();
        for (int i = 0; i < cb; i++) mb[i * cb + i] += 1;
        // Without the SVD cut (which is not affine-invariant), CCA itself is.
        var before = Run(a, b, n, ca, cb, KeepAll);
        var afterA = Run(Times(a, n, ca, m, ca), b, n, ca, cb, KeepAll);
        var afterB = Run(a, Times(b, n, cb, mb, cb), n, ca, cb, KeepAll);
        for (int i = 0; i < before.Cca.Length; i++)
        {
            Assert.Equal(before.Cca[i], afterA.Cca[i], 1e-9);
            Assert.Equal(before.Cca[i], afterB.Cca[i], 1e-9);
        }
    }

    [Fact]
    public void OrthogonalTransformAndIsotropicScalingLeaveCkaUnchanged()
    {
        const int n = 2000, ca = 10, cb = 14;
        var (a, b) = SharedLatent(n, ca, cb, 3, 0.7, 40);
        using var g = TTL.Torch.torch.tensor(Gaussian(ca, ca, 41), ca, ca);
        var (q, r) = TTL.Torch.torch.linalg.qr(g);
        using (q) using (r)
        {
            var rotated = Times(a, n, ca, q.data<double>(), ca).Select(v => 3.7 * v).ToArray();
            var before = Run(a, b, n, ca, cb);
            var after = Run(rotated, b.Select(v => 0.01 * v).ToArray(), n, ca, cb);
            Assert.Equal(before.Cka, after.Cka, 1e-12);
        }
    }

    [Fact]
    public void AMatrixAgainstItselfGivesAllOnes()
    {
        const int n = 1000, c = 20;
        var a = Times(Gaussian(n, c, 50), n, c, Gaussian(c, c, 51), c);
        var r = Run(a, a, n, c, c);
        Assert.Equal(r.KeptA, r.KeptB);
        Assert.All(r.Cca, v => Assert.Equal(1.0, v, 1e-8));
        Assert.Equal(1.0, r.Pwcca, 1e-8);
        Assert.Equal(1.0, r.Cka, 1e-12);
    }

    [Fact]
    public void SharedLatentDimensionsGiveThatManyCoefficientsNearOneAndTheRestNearTheBaseline()
    {
        const int n = 20000, ca = 24, cb = 20, k = 5;
        var (a, b) = SharedLatent(n, ca, cb, k, 0.05, 60);
        var options = new SvccaOptions { VarianceFraction = 1.0 };
        var r = Run(a, b, n, ca, cb, options);
        var (baseline, rows) = SvccaAnalysis.Baseline(r, options, seed: 7);
        Assert.Equal(n, rows);
        Assert.All(r.Cca.Take(k), v => Assert.True(v > 0.99, $"shared coefficient {v}"));
        double rest = r.Cca.Skip(k).Average(), chance = baseline.Cca.Skip(k).Average();
        Assert.True(r.Cca[k] < 0.1, $"first unshared coefficient {r.Cca[k]}");
        Assert.True(Math.Abs(rest - chance) < 0.01, $"unshared mean {rest} vs baseline {chance}");
    }

    [Fact]
    public void BaselineIsSeededAndUsesTheRealKeptCounts()
    {
        const int n = 3000, ca = 20, cb = 16;
        var (a, b) = SharedLatent(n, ca, cb, 3, 0.5, 70);
        var r = Run(a, b, n, ca, cb);
        var (x, _) = SvccaAnalysis.Baseline(r, new SvccaOptions(), seed: 3, maxRows: 1000);
        var (y, rows) = SvccaAnalysis.Baseline(r, new SvccaOptions(), seed: 3, maxRows: 1000);
        Assert.Equal(1000, rows);
        Assert.Equal((r.KeptA, r.KeptB), (x.KeptA, x.KeptB));
        Assert.Equal(x.Cca, y.Cca);
        Assert.True(x.MeanCca < 0.2, $"baseline mean {x.MeanCca}");
    }
}
