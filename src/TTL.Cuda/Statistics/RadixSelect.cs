namespace TTL.Cuda.Statistics;

/// <summary>One histogram pass: for each query, count the values whose key has that prefix (under the mask), by the digit at <see cref="Shift"/>.</summary>
public sealed record RadixQuery(uint[] Prefixes, uint[] Masks, int Shift, int Bits);

/// <summary>
/// Exact order statistics from key histograms (the host half of percentile.cu): the k-th
/// smallest float is found digit by digit, 11 + 11 + 10 bits, each pass narrowing to the bin
/// that holds rank k. Up to <see cref="MaxQueries"/> ranks are searched in the same passes.
/// </summary>
public static class RadixSelect
{
    public const int MaxQueries = 4;

    private static readonly (int Shift, int Bits)[] Digits = [(21, 11), (10, 11), (0, 10)];

    /// <summary>Order-preserving key of a float: negatives have every bit flipped, non-negatives the sign bit set.</summary>
    public static uint Key(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        return (u & 0x80000000u) != 0 ? ~u : u | 0x80000000u;
    }

    public static float FromKey(uint key) => BitConverter.UInt32BitsToSingle((key & 0x80000000u) != 0 ? key & 0x7FFFFFFFu : ~key);

    /// <summary>
    /// The values of 0-based <paramref name="ranks"/> among <paramref name="n"/> non-NaN values, given
    /// <paramref name="histogram"/>, which returns one array of 2^Bits counts per query.
    /// </summary>
    public static float[] Select(long n, IReadOnlyList<long> ranks, Func<RadixQuery, uint[][]> histogram)
    {
        if (ranks.Count > MaxQueries) throw new ArgumentException($"at most {MaxQueries} ranks per selection", nameof(ranks));
        foreach (var r in ranks)
            if (r < 0 || r >= n) throw new ArgumentOutOfRangeException(nameof(ranks), r, $"rank outside [0, {n})");
        var prefix = new uint[ranks.Count];
        var mask = new uint[ranks.Count];
        var rest = ranks.ToArray();
        foreach (var (shift, bits) in Digits)
        {
            // Ranks that share a prefix share a histogram.
            var queries = new List<(uint Prefix, uint Mask)>();
            var slot = new int[ranks.Count];
            for (int i = 0; i < ranks.Count; i++)
            {
                int at = queries.IndexOf((prefix[i], mask[i]));
                if (at < 0) { at = queries.Count; queries.Add((prefix[i], mask[i])); }
                slot[i] = at;
            }
            var hist = histogram(new RadixQuery(queries.Select(q => q.Prefix).ToArray(), queries.Select(q => q.Mask).ToArray(), shift, bits));
            for (int i = 0; i < ranks.Count; i++)
            {
                var h = hist[slot[i]];
                long below = 0;
                int bin = 0;
                for (; bin < h.Length; bin++)
                {
                    if (rest[i] < below + h[bin]) break;
                    below += h[bin];
                }
                if (bin == h.Length) throw new InvalidOperationException($"histogram holds {below} values at this prefix, fewer than rank {ranks[i]} needs");
                rest[i] -= below;
                uint digitMask = ((1u << bits) - 1) << shift;
                prefix[i] |= (uint)bin << shift;
                mask[i] |= digitMask;
            }
        }
        return prefix.Select(FromKey).ToArray();
    }
}
