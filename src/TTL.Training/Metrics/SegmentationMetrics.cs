namespace TTL.Training.Metrics;

/// <summary>Dice per foreground class (and their mean) and HD95 in millimetres.</summary>
public sealed record SegmentationReport(double[] DicePerClass, double Dice, double[] Hd95PerClass, double Hd95);

/// <summary>
/// Segmentation metrics on label maps [I, J, K] with classes 0 (background) .. C−1.
/// Dice = 2|A∩B| / (|A| + |B|) per foreground class; when both are empty the class scores 1
/// (nothing to find, nothing found). HD95 follows MONAI's compute_hausdorff_distance(percentile=95):
/// surfaces are the voxels of a mask with a 6-neighbour outside it (the volume's border counts as
/// outside, as scipy's binary_erosion with border_value=0 does), distances are Euclidean in mm
/// using the voxel spacing, and HD95 = max(P95(d(A→∂B)), P95(d(B→∂A))) with NumPy's linear
/// percentile. It is NaN when either mask is empty. Means skip NaN classes.
/// </summary>
public static class SegmentationMetrics
{
    public static SegmentationReport Compute(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth, int[] shape, double[] spacing, int classes)
    {
        if (predicted.Length != truth.Length) throw new ArgumentException("prediction and truth differ in size");
        var dice = new double[classes - 1];
        var hd = new double[classes - 1];
        var a = new bool[predicted.Length];
        var b = new bool[truth.Length];
        for (int c = 1; c < classes; c++)
        {
            for (int v = 0; v < a.Length; v++) { a[v] = predicted[v] == c; b[v] = truth[v] == c; }
            dice[c - 1] = Dice(a, b);
            hd[c - 1] = Hausdorff95(a, b, shape, spacing);
        }
        return new SegmentationReport(dice, NanMean(dice), hd, NanMean(hd));
    }

    public static double Dice(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b)
    {
        long inter = 0, sa = 0, sb = 0;
        for (int v = 0; v < a.Length; v++)
        {
            if (a[v]) sa++;
            if (b[v]) sb++;
            if (a[v] && b[v]) inter++;
        }
        return sa + sb == 0 ? 1.0 : 2.0 * inter / (sa + sb);
    }

    public static double Hausdorff95(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, int[] shape, double[] spacing)
    {
        var surfaceA = Surface(a, shape);
        var surfaceB = Surface(b, shape);
        if (!surfaceA.Contains(true) || !surfaceB.Contains(true)) return double.NaN;
        var toB = DistanceTransform.Compute(surfaceB, shape, spacing);
        var toA = DistanceTransform.Compute(surfaceA, shape, spacing);
        return Math.Max(Percentile(Gather(toB, surfaceA), 95), Percentile(Gather(toA, surfaceB), 95));
    }

    /// <summary>Mask voxels with at least one 6-neighbour outside the mask or outside the volume.</summary>
    public static bool[] Surface(ReadOnlySpan<bool> mask, int[] shape)
    {
        int ni = shape[0], nj = shape[1], nk = shape[2];
        var s = new bool[mask.Length];
        for (int i = 0; i < ni; i++)
            for (int j = 0; j < nj; j++)
                for (int k = 0; k < nk; k++)
                {
                    int v = (i * nj + j) * nk + k;
                    if (!mask[v]) continue;
                    bool interior = i > 0 && i < ni - 1 && j > 0 && j < nj - 1 && k > 0 && k < nk - 1
                        && mask[v - nj * nk] && mask[v + nj * nk] && mask[v - nk] && mask[v + nk] && mask[v - 1] && mask[v + 1];
                    s[v] = !interior;
                }
        return s;
    }

    private static double[] Gather(double[] values, bool[] where)
    {
        var r = new List<double>();
        for (int v = 0; v < where.Length; v++) if (where[v]) r.Add(values[v]);
        return r.ToArray();
    }

    /// <summary>NumPy's default (linear) percentile.</summary>
    public static double Percentile(double[] values, double q)
    {
        Array.Sort(values);
        double pos = q / 100.0 * (values.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, values.Length - 1);
        return values[lo] + (values[hi] - values[lo]) * (pos - lo);
    }

    private static double NanMean(double[] v)
    {
        double s = 0;
        int n = 0;
        foreach (var x in v) if (!double.IsNaN(x)) { s += x; n++; }
        return n == 0 ? double.NaN : s / n;
    }
}
