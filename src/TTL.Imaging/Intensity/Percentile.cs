namespace TTL.Imaging.Intensity;

/// <summary>
/// Percentiles with NumPy's default definition (<c>method='linear'</c>, Hyndman–Fan type 7): for
/// q in [0, 100] the rank h = (n − 1)·q/100 and the result is a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋+1] − a[⌊h⌋])
/// over the sorted values. Found by selection (expected linear time), not a full sort. Any NaN makes
/// the result NaN, as in NumPy.
/// </summary>
public static class Percentile
{
    public static double Of(ReadOnlySpan<float> values, double q) => Of(values, [q])[0];

    public static double[] Of(ReadOnlySpan<float> values, double[] qs)
    {
        Check(values.Length, qs);
        var result = new double[qs.Length];
        foreach (var v in values)
            if (float.IsNaN(v)) { Array.Fill(result, double.NaN); return result; }

        var a = values.ToArray();
        return Interpolate(a.Length, qs, ranks => SelectRanks(a, ranks));
    }

    /// <summary>
    /// NumPy's linear rule on top of any source of order statistics: asks
    /// <paramref name="orderStatistics"/> once for the 0-based ranks it needs (ascending, distinct)
    /// and combines them. The CPU path selects them in memory; the CUDA path finds them by radix
    /// selection on the device.
    /// </summary>
    public static double[] Interpolate(long n, double[] qs, Func<long[], double[]> orderStatistics)
    {
        var needed = new SortedSet<long>();
        foreach (var q in qs)
        {
            var (lo, t) = Rank(n, q);
            needed.Add(lo);
            if (t > 0 && lo + 1 < n) needed.Add(lo + 1);
        }
        var ranks = needed.ToArray();
        var values = orderStatistics(ranks);
        var result = new double[qs.Length];
        for (int i = 0; i < qs.Length; i++)
        {
            var (lo, t) = Rank(n, qs[i]);
            double below = values[Array.BinarySearch(ranks, lo)];
            double above = t > 0 && lo + 1 < n ? values[Array.BinarySearch(ranks, lo + 1)] : below;
            result[i] = t == 0 ? below : Lerp(below, above, t);
        }
        return result;
    }

    /// <summary>The arguments every percentile path refuses: no values, or a q outside [0, 100].</summary>
    internal static void Check(long n, double[] qs)
    {
        if (n == 0) throw new ArgumentException("percentile of no values", "values");
        foreach (var q in qs)
            if (!(q >= 0 && q <= 100)) throw new ArgumentOutOfRangeException(nameof(qs), q, "percentiles lie in [0, 100]");
    }

    /// <summary>h = (n − 1)·q/100 split into ⌊h⌋ and the fraction above it.</summary>
    private static (long Lo, double T) Rank(long n, double q)
    {
        double h = (n - 1) * q / 100.0;
        long lo = (long)Math.Floor(h);
        return (lo, h - lo);
    }

    /// <summary>The values of ascending ranks, each selection working right of the previous one.</summary>
    private static double[] SelectRanks(float[] a, long[] ranks)
    {
        var values = new double[ranks.Length];
        int left = 0;
        for (int i = 0; i < ranks.Length; i++)
        {
            int k = (int)ranks[i];
            Select(a, left, a.Length - 1, k);
            values[i] = a[k];
            left = k;
        }
        return values;
    }

    // NumPy's _lerp: a + (b − a)·t, computed from the upper end when t ≥ ½ so that t = 1 gives b exactly.
    private static double Lerp(double a, double b, double t) => t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;

    /// <summary>Rearranges a[left..right] so that a[k] holds the value it would have if sorted, smaller ones left of it.</summary>
    private static void Select(float[] a, int left, int right, int k)
    {
        while (right > left)
        {
            if (right - left < 16)
            {
                Array.Sort(a, left, right - left + 1);
                return;
            }
            int mid = left + (right - left) / 2;
            // Median of three as pivot keeps sorted and constant inputs linear.
            if (a[mid] < a[left]) (a[mid], a[left]) = (a[left], a[mid]);
            if (a[right] < a[left]) (a[right], a[left]) = (a[left], a[right]);
            if (a[right] < a[mid]) (a[right], a[mid]) = (a[mid], a[right]);
            float pivot = a[mid];
            int i = left, j = right;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return;
        }
    }
}
