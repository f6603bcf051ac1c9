namespace TTL.Cuda.Random;

/// <summary>
/// Philox4x32-10 (Salmon et al., SC 2011), the counter-based generator of the noise kernel
/// (native/kernels/noise.cu), and the kernel's mapping to Gaussian noise, on the CPU: the reference
/// the GPU noise is checked against, and a way to reproduce a GPU augmentation on the host.
/// </summary>
public static class Philox4x32
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The four output words for a 128-bit counter and 64-bit key (ten rounds).</summary>
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int r = 0; r < 10; r++)
        {
            if (r > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// Standard normals of voxels 4g..4g+3 as the kernel draws them: counter (g, 0, stream, 0), key =
    /// the seed's two halves, Box–Muller on the word pairs (see noise.cu for the exact mapping).
    /// </summary>
    public static (float, float, float, float) Normals(ulong seed, uint stream, uint group)
    {
        var (w0, w1, w2, w3) = Block(group, 0, stream, 0, (uint)seed, (uint)(seed >> 32));
        var (z0, z1) = BoxMuller(w0, w1);
        var (z2, z3) = BoxMuller(w2, w3);
        return (z0, z1, z2, z3);
    }

    private static (float, float) BoxMuller(uint a, uint b)
    {
        const float Scale = 5.9604644775390625e-8f; // 2^-24
        float u = ((a >> 8) + 1u) * Scale, v = (b >> 8) * Scale;
        float r = MathF.Sqrt(-2f * MathF.Log(u));
        var (s, c) = float.SinCosPi(2f * v);
        return (r * c, r * s);
    }

    /// <summary>x[i] += mean + std·z_i, the kernel's <c>ttl_gaussian_noise</c> on the CPU.</summary>
    public static void AddNoise(Span<float> x, ulong seed, uint stream, float mean, float std)
    {
        for (int g = 0; 4 * g < x.Length; g++)
        {
            var (z0, z1, z2, z3) = Normals(seed, stream, (uint)g);
            Span<float> z = [z0, z1, z2, z3];
            for (int l = 0; l < 4 && 4 * g + l < x.Length; l++) x[4 * g + l] += mean + std * z[l];
        }
    }
}
