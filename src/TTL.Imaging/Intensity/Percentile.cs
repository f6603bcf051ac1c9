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
        if (values.Length == 0) throw new ArgumentException("percentile of no values", nameof(values));
        foreach (var q in qs)
            if (!(q >= 0 && q <= 100)) throw new ArgumentOutOfRangeException(nameof(qs), q, "percentiles lie in [0, 100]");
        var result = new double[qs.Length];
        foreach (var v in values)
            if (float.IsNaN(v)) { Array.Fill(result, double.NaN); return result; }

        var a = values.ToArray();
        int n = a.Length;
        // Ascending ranks let each selection work on the part right of the previous one.
        var order = Enumerable.Range(0, qs.Length).OrderBy(i => qs[i]).ToArray();
        int left = 0;
        foreach (var idx in order)
        {
            double h = (n - 1) * qs[idx] / 100.0;
            int lo = (int)Math.Floor(h);
            double t = h - lo;
            Select(a, left, n - 1, lo);
            left = lo;
            double below = a[lo];
            double above = below;
            if (t > 0 && lo + 1 < n)
            {
                // The next order statistic is the smallest value right of the selected one.
                above = a[lo + 1];
                for (int i = lo + 2; i < n; i++) if (a[i] < above) above = a[i];
            }
            result[idx] = t == 0 ? below : Lerp(below, above, t);
        }
        return result;
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
