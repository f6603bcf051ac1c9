namespace TTL.Imaging.Intensity;

/// <summary>
/// nnU-Net's CT normalisation: clip to the dataset's foreground 0.5 and 99.5 percentiles, then
/// subtract the dataset's foreground mean and divide by its std (at least 1e-8). The four numbers
/// come from <see cref="DatasetIntensityStatistics"/> over the training cases.
/// </summary>
public sealed record CtNormalization(double Lower, double Upper, double Mean, double Std)
{
    public void Apply(Span<float> x)
    {
        IntensityOps.Clip(x, (float)Lower, (float)Upper);
        IntensityOps.SubtractDivide(x, (float)Mean, (float)Math.Max(Std, 1e-8));
    }
}
