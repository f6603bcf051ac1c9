namespace TTL.Training.Inference;

/// <summary>How the predictions of overlapping windows are blended.</summary>
public enum WindowWeighting
{
    /// <summary>
    /// A gaussian centred in the window (sigma = <see cref="SlidingWindowOptions.SigmaScale"/> × patch
    /// per axis, as nnU-Net): window borders, where the network sees the least context, count least.
    /// </summary>
    Gaussian,

    /// <summary>Every voxel of every window counts the same (a plain average of the overlapping windows).</summary>
    Constant,
}

/// <summary>Settings of <see cref="SlidingWindow.Predict"/>; the defaults are MONAI's and nnU-Net's.</summary>
public sealed record SlidingWindowOptions
{
    /// <summary>Window size (I, J, K) in voxels: the patch size the model was trained on.</summary>
    public required int[] PatchSize { get; init; }

    /// <summary>Fraction of the window shared by neighbouring windows, in [0, 1).</summary>
    public double Overlap { get; init; } = 0.5;

    public WindowWeighting Weighting { get; init; } = WindowWeighting.Gaussian;

    /// <summary>Gaussian sigma as a fraction of the patch size per axis (nnU-Net: 1/8).</summary>
    public double SigmaScale { get; init; } = 0.125;

    /// <summary>Windows per model call.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Test-time augmentation: each batch also runs through the 7 non-empty combinations of
    /// flipping the three spatial axes (flipped back afterwards), and the 8 outputs are averaged.
    /// </summary>
    public bool FlipTta { get; init; }

    /// <summary>Throws ArgumentException naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (PatchSize is null || PatchSize.Length != 3) throw new ArgumentException("sliding window: the patch size needs 3 entries (I, J, K)");
        if (PatchSize.Any(p => p < 1)) throw new ArgumentException($"sliding window: patch size {string.Join(",", PatchSize)} has an entry below 1");
        if (!(Overlap >= 0 && Overlap < 1)) throw new ArgumentException($"sliding window: overlap {Overlap} is not in [0, 1)");
        if (!(SigmaScale > 0) || double.IsInfinity(SigmaScale)) throw new ArgumentException($"sliding window: sigma scale {SigmaScale} must be positive");
        if (BatchSize < 1) throw new ArgumentException($"sliding window: batch size {BatchSize} must be at least 1");
    }
}
