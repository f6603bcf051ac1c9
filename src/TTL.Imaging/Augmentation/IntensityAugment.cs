using System.Numerics.Tensors;
using TTL.Imaging.Compute;

namespace TTL.Imaging.Augmentation;

/// <summary>Random intensity augmentations (images only; labels are never touched).</summary>
public static class IntensityAugment
{
    private const int NoiseGroups = 1 << 14; // groups of 4 voxels per parallel slab

    /// <summary>
    /// Adds N(mean, std²) noise drawn by Philox4x32-10 keyed by <paramref name="seed"/>
    /// (<see cref="TTL.Cuda.Random.Philox4x32"/>): voxel i's noise is a function of (seed, i) alone,
    /// so it is the same whatever the thread count, and the GPU's noise kernel
    /// (<see cref="Cuda.GpuIntensity.GaussianNoise"/>) adds the same values.
    /// </summary>
    public static void GaussianNoise(Span<float> x, double mean, double std, int seed)
    {
        float m = (float)mean, sd = (float)std;
        ulong key = (uint)seed;
        unsafe
        {
            fixed (float* p = x)
            {
                nint ptr = (nint)p;
                int len = x.Length;
                long groups = (len + 3L) / 4;
                Parallelism.ForSlabs(groups, NoiseGroups, (from, to) =>
                {
                    var s = new Span<float>((float*)ptr, len);
                    for (long g = from; g < to; g++)
                    {
                        var (z0, z1, z2, z3) = TTL.Cuda.Random.Philox4x32.Normals(key, 0, (uint)g);
                        int at = (int)(4 * g);
                        s[at] += m + sd * z0;
                        if (at + 1 < len) s[at + 1] += m + sd * z1;
                        if (at + 2 < len) s[at + 2] += m + sd * z2;
                        if (at + 3 < len) s[at + 3] += m + sd * z3;
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
