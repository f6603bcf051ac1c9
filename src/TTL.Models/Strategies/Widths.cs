namespace TTL.Models.Strategies;

/// <summary>Channel counts under a width factor (TransFusion's slimmed blocks).</summary>
public static class Widths
{
    /// <summary><paramref name="width"/> × <paramref name="factor"/>, rounded, never below one channel.</summary>
    public static long Scale(long width, double factor)
    {
        if (!(factor > 0) || double.IsInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(factor), $"a width factor must be positive, got {factor}");
        return Math.Max(1, (long)Math.Round(width * factor));
    }
}
