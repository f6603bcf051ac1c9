using System.Numerics.Tensors;
using TTL.Imaging.Compute;

namespace TTL.Imaging.Augmentation;

/// <summary>Random intensity augmentations (images only; labels are never touched).</summary>
public static class IntensityAugment
{
    private const int NoiseBlock = 1 << 16;

    /// <summary>
    /// Adds N(mean, std²) noise. Each block of voxels draws from its own generator seeded from
    /// (seed, block), so the noise is the same whatever the thread count.
    /// </summary>
    public static void GaussianNoise(Span<float> x, double mean, double std, int seed)
    {
        unsafe
        {
            fixed (float* p = x)
            {
                nint ptr = (nint)p;
                int len = x.Length;
                int blocks = (len + NoiseBlock - 1) / NoiseBlock;
                Parallelism.ForSlabs(blocks, 1, (from, to) =>
                {
                    for (long b = from; b < to; b++)
                    {
                        int start = (int)(b * NoiseBlock), count = Math.Min(NoiseBlock, len - start);
                        var s = new Span<float>((float*)ptr + start, count);
                        var rng = new Random(SeedMix.Derive(seed, b));
                        for (int i = 0; i < count; i += 2)
                        {
                            // Box–Muller: two independent normals per pair of uniforms.
                            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                            double r = Math.Sqrt(-2.0 * Math.Log(u1)), t = 2 * Math.PI * u2;
                            s[i] += (float)(mean + std * r * Math.Cos(t));
                            if (i + 1 < count) s[i + 1] += (float)(mean + std * r * Math.Sin(t));
                        }
                    }
                });
            }
        }
    }

    /// <summary>
    /// Contrast by a gamma curve over the volume's own range, as MONAI's AdjustContrast:
    /// ((x − min)/(max − min + 1e-7))^γ·(max − min) + min.
    /// </summary>
    public static void Gamma(Span<float> x, double gamma)
    {
        if (!(gamma > 0)) throw new ArgumentOutOfRangeException(nameof(gamma), "gamma must be > 0");
        float min = TensorPrimitives.Min(x), max = TensorPrimitives.Max(x);
        double range = (double)max - min;
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(Math.Pow((x[i] - min) / (range + 1e-7), gamma) * range + min);
    }
}
