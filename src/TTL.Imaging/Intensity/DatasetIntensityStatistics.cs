namespace TTL.Imaging.Intensity;

/// <summary>
/// Foreground intensity statistics over many cases, as nnU-Net's dataset fingerprint gathers them:
/// the image voxels where the label is &gt; 0 (one channel), pooled over all cases; then the 0.5 and
/// 99.5 percentiles, mean and std of the pool. By default every foreground voxel is kept (exact);
/// <c>maxVoxelsPerCase</c> keeps a seeded random subset per case instead, as nnU-Net does
/// (it samples 10,000) to bound memory on big datasets.
/// </summary>
public sealed class DatasetIntensityStatistics(int? maxVoxelsPerCase = null, int seed = 1234)
{
    private readonly List<float[]> _perCase = [];
    private readonly Random _rng = new(seed);

    public int Cases => _perCase.Count;

    /// <summary>Adds the foreground voxels of one case; the label must share the image's grid.</summary>
    public void Add(Volume image, Volume label, int channel = 0)
    {
        if (!image.Shape.SequenceEqual(label.Shape))
            throw new ArgumentException($"label shape {string.Join('×', label.Shape)} differs from image shape {string.Join('×', image.Shape)}");
        var img = image.Channel(channel);
        var lab = label.Channel(0);
        int count = 0;
        foreach (var l in lab) if (l > 0) count++;
        var fg = new float[count];
        int n = 0;
        for (int i = 0; i < lab.Length; i++) if (lab[i] > 0) fg[n++] = img[i];
        if (maxVoxelsPerCase is int cap && fg.Length > cap)
        {
            // Partial Fisher–Yates: the first `cap` entries become a uniform sample without replacement.
            for (int i = 0; i < cap; i++)
            {
                int j = _rng.Next(i, fg.Length);
                (fg[i], fg[j]) = (fg[j], fg[i]);
            }
            Array.Resize(ref fg, cap);
        }
        lock (_perCase) _perCase.Add(fg);
    }

    public CtNormalization Compute()
    {
        long total = 0;
        foreach (var c in _perCase) total += c.Length;
        if (total == 0) throw new InvalidOperationException("no foreground voxels in any case: CT normalisation needs labelled foreground");
        if (total > int.MaxValue) throw new InvalidOperationException("too many foreground voxels to pool; set a per-case voxel cap");
        var pool = new float[total];
        int at = 0;
        foreach (var c in _perCase) { c.CopyTo(pool, at); at += c.Length; }
        var (mean, std, _) = Moments.Of(pool, 0, pool.Length);
        var p = Percentile.Of(pool, [0.5, 99.5]);
        return new CtNormalization(p[0], p[1], mean, std);
    }
}
