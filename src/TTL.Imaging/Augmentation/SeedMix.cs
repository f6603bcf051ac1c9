namespace TTL.Imaging.Augmentation;

/// <summary>
/// Derives independent seeds from a base seed and an index (SplitMix64 finaliser). Used to give
/// each sample, and each block of voxels inside a sample, its own generator, so results depend on
/// the seed only, never on thread scheduling. (HashCode is salted per process and cannot serve.)
/// </summary>
public static class SeedMix
{
    public static int Derive(long seed, long index)
    {
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>Derives from a string key (a case's file name) with a fixed FNV-1a hash.</summary>
    public static int Derive(long seed, string key)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in key) { h ^= ch; h *= 1099511628211UL; }
        return Derive(seed, (long)(h & 0x7FFFFFFFFFFFFFFF));
    }
}
