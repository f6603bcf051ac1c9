using TTL.Imaging.Intensity;

namespace TTL.Imaging.Pipelines.Transforms;

/// <summary>`clip`: clamp image intensities to [min, max].</summary>
public sealed class ClipTransform(double min, double max) : Transform
{
    public double Min { get; } = min;
    public double Max { get; } = max;
    public override string Name => "clip";
    public override Sample Apply(Sample s, Random rng) { IntensityOps.Clip(s.Image.Data, (float)Min, (float)Max); return s; }
    public override IEnumerable<(string, object)> Parameters() => [("min", Min), ("max", Max)];
    public static ClipTransform Read(TransformParameters p) => new(p.Double("min"), p.Double("max"));
}

/// <summary>`window`: CT window by preset name or level/width, mapped to [0, 1].</summary>
public sealed class WindowTransform(CtWindow window, string? preset = null) : Transform
{
    public CtWindow Window { get; } = window;
    public string? Preset { get; } = preset;
    public override string Name => "window";
    public override Sample Apply(Sample s, Random rng) { IntensityOps.Window(s.Image.Data, Window); return s; }

    public override IEnumerable<(string, object)> Parameters() =>
        Preset is not null ? [("preset", Preset)] : [("level", Window.Level), ("width", Window.Width)];

    public static WindowTransform Read(TransformParameters p)
    {
        var preset = p.OptionalDouble("level") is double level
            ? null
            : p.String("preset");
        return preset is null ? new(new CtWindow(p.Double("level"), p.Double("width"))) : new(CtWindow.Preset(preset), preset);
    }
}

/// <summary>`scale_range`: MONAI's ScaleIntensityRange.</summary>
public sealed class ScaleRangeTransform(double aMin, double aMax, double bMin, double bMax, bool clip) : Transform
{
    public double AMin { get; } = aMin;
    public double AMax { get; } = aMax;
    public double BMin { get; } = bMin;
    public double BMax { get; } = bMax;
    public bool Clip { get; } = clip;
    public override string Name => "scale_range";
    public override Sample Apply(Sample s, Random rng) { IntensityOps.ScaleRange(s.Image.Data, AMin, AMax, BMin, BMax, Clip); return s; }
    public override IEnumerable<(string, object)> Parameters() => [("a_min", AMin), ("a_max", AMax), ("b_min", BMin), ("b_max", BMax), ("clip", Clip)];
    public static ScaleRangeTransform Read(TransformParameters p) =>
        new(p.Double("a_min"), p.Double("a_max"), p.Double("b_min", 0), p.Double("b_max", 1), p.Bool("clip", false));
}

/// <summary>`zscore`: MONAI's NormalizeIntensity (whole volume or per channel, all or nonzero voxels).</summary>
public sealed class ZScoreTransform(bool nonzero = false, bool channelWise = false) : Transform
{
    public bool Nonzero { get; } = nonzero;
    public bool ChannelWise { get; } = channelWise;
    public override string Name => "zscore";
    public override Sample Apply(Sample s, Random rng) { IntensityOps.ZScore(s.Image, Nonzero, ChannelWise); return s; }
    public override IEnumerable<(string, object)> Parameters() => [("nonzero", Nonzero), ("channel_wise", ChannelWise)];
    public static ZScoreTransform Read(TransformParameters p) => new(p.Bool("nonzero", false), p.Bool("channel_wise", false));
}

/// <summary>`percentile_clip`: clip to the image's own lower/upper percentiles.</summary>
public sealed class PercentileClipTransform(double lower, double upper) : Transform
{
    public double Lower { get; } = lower;
    public double Upper { get; } = upper;
    public override string Name => "percentile_clip";
    public override Sample Apply(Sample s, Random rng) { IntensityOps.PercentileClip(s.Image.Data, Lower, Upper); return s; }
    public override IEnumerable<(string, object)> Parameters() => [("lower", Lower), ("upper", Upper)];
    public static PercentileClipTransform Read(TransformParameters p) => new(p.Double("lower", 0.5), p.Double("upper", 99.5));
}

/// <summary>
/// `ct_normalize`: nnU-Net's CT normalisation with dataset statistics. Written without numbers,
/// the step is unresolved: `ttl preprocess` computes them from the training cases' foreground and
/// saves the resolved pipeline beside its outputs.
/// </summary>
public sealed class CtNormalizeTransform(CtNormalization? stats = null) : Transform
{
    public CtNormalization? Stats { get; } = stats;
    public override string Name => "ct_normalize";

    public override Sample Apply(Sample s, Random rng)
    {
        if (Stats is null) throw new InvalidOperationException("ct_normalize has no dataset statistics yet: run it through `ttl preprocess`, which computes them from the training labels");
        Stats.Apply(s.Image.Data);
        return s;
    }

    public override IEnumerable<(string, object)> Parameters() =>
        Stats is null ? [] : [("lower", Stats.Lower), ("upper", Stats.Upper), ("mean", Stats.Mean), ("std", Stats.Std)];

    public static CtNormalizeTransform Read(TransformParameters p)
    {
        double?[] v = [p.OptionalDouble("lower"), p.OptionalDouble("upper"), p.OptionalDouble("mean"), p.OptionalDouble("std")];
        if (v.All(x => x is null)) return new();
        if (v.Any(x => x is null)) throw new FormatException("transform 'ct_normalize': give all of lower, upper, mean, std or none (to compute them from the dataset)");
        return new(new CtNormalization(v[0]!.Value, v[1]!.Value, v[2]!.Value, v[3]!.Value));
    }
}
