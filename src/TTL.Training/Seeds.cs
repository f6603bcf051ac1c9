namespace TTL.Training;

/// <summary>Derived seeds: every random stream of a run comes from (seed, epoch, item) through SplitMix64.</summary>
public static class Seeds
{
    public static long Mix(long seed, long a, long b)
    {
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)a * 0xBF58476D1CE4E5B9UL ^ (ulong)b * 0x94D049BB133111EBUL);
        x ^= x >> 30;
        x = unchecked(x * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 27;
        x = unchecked(x * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return (long)(x & long.MaxValue);
    }

    /// <summary>A permutation of 0..n−1 fixed by the seed.</summary>
    public static int[] Permutation(int n, long seed)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        new Random(unchecked((int)(seed ^ (seed >> 32)))).Shuffle(p);
        return p;
    }
}
