using System.Runtime.InteropServices;
using System.Text.Json;
using TTL.Cuda.Random;
using TTL.TestSupport;

namespace TTL.Cuda.Tests.Random;

public sealed class PhiloxTests
{
    [Theory]
    // Random123's published known-answer vectors for philox4x32-10 (counter, key → output).
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void The_generator_reproduces_the_published_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3)
    {
        Assert.Equal((r0, r1, r2, r3), Philox4x32.Block(c0, c1, c2, c3, k0, k1));
    }

    [Fact]
    public void Words_and_normals_match_an_independent_numpy_implementation()
    {
        const ulong seed = 0x0123456789abcdefUL;
        const uint stream = 17, groups = 2000;
        using var doc = JsonDocument.Parse(Python.RunOracle("philox.py", "words", seed.ToString(), stream.ToString(), groups.ToString()));
        var words = doc.RootElement.GetProperty("words");
        var normals = doc.RootElement.GetProperty("normals");
        double worst = 0;
        for (uint g = 0; g < groups; g++)
        {
            var (w0, w1, w2, w3) = Philox4x32.Block(g, 0, stream, 0, unchecked((uint)seed), (uint)(seed >> 32));
            Assert.Equal(new[] { w0, w1, w2, w3 }, words[(int)g].EnumerateArray().Select(x => x.GetUInt32()));
            var (z0, z1, z2, z3) = Philox4x32.Normals(seed, stream, g);
            var z = new double[] { z0, z1, z2, z3 };
            for (int l = 0; l < 4; l++) worst = Math.Max(worst, Math.Abs(z[l] - normals[(int)g][l].GetDouble()));
        }
        // float32 log/sqrt/sincospi against float64: a few float ulps at |z| ≤ 6.
        Assert.True(worst < 5e-6, $"largest normal deviation {worst}");
    }

    [Fact]
    public void The_noise_is_normally_distributed_with_the_requested_mean_and_std()
    {
        var x = new float[1 << 18];
        Philox4x32.AddNoise(x, seed: 42, stream: 3, mean: 0f, std: 1f);
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("z.f32"), MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
        using var doc = JsonDocument.Parse(Python.RunOracle("philox.py", "normality", tmp.File("z.f32")));
        var r = doc.RootElement;
        Assert.InRange(r.GetProperty("mean").GetDouble(), -0.01, 0.01);
        Assert.InRange(r.GetProperty("std").GetDouble(), 0.99, 1.01);
        Assert.True(r.GetProperty("ks_pvalue").GetDouble() > 1e-3, "Kolmogorov–Smirnov rejects N(0, 1)");

        var shifted = new float[1024];
        Philox4x32.AddNoise(shifted, seed: 42, stream: 3, mean: 5f, std: 2f);
        for (int i = 0; i < shifted.Length; i++) Assert.Equal(5f + 2f * x[i], shifted[i], 1e-5f);
    }

    [Fact]
    public void Streams_and_seeds_give_different_noise_and_the_same_ones_the_same()
    {
        float[] Draw(ulong seed, uint stream)
        {
            var v = new float[4099];
            Philox4x32.AddNoise(v, seed, stream, 0f, 1f);
            return v;
        }
        Assert.Equal(Draw(1, 0), Draw(1, 0));
        Assert.NotEqual(Draw(1, 0), Draw(1, 1));
        Assert.NotEqual(Draw(1, 0), Draw(2, 0));
        Assert.Equal(Draw(1, 0)[..4096], Draw(1, 0)[..4096]);
    }
}
