using TTL.Imaging.Pipelines.Transforms;

namespace TTL.Imaging.Pipelines;

/// <summary>Every transform a pipeline YAML may name, with the function that reads its settings.</summary>
public static class TransformRegistry
{
    public static readonly IReadOnlyDictionary<string, Func<TransformParameters, Transform>> Readers =
        new Dictionary<string, Func<TransformParameters, Transform>>
        {
            ["reorient"] = ReorientTransform.Read,
            ["spacing"] = SpacingTransform.Read,
            ["resize"] = ResizeTransform.Read,
            ["clip"] = ClipTransform.Read,
            ["window"] = WindowTransform.Read,
            ["scale_range"] = ScaleRangeTransform.Read,
            ["zscore"] = ZScoreTransform.Read,
            ["percentile_clip"] = PercentileClipTransform.Read,
            ["ct_normalize"] = CtNormalizeTransform.Read,
            ["crop_foreground"] = CropForegroundTransform.Read,
            ["center_crop_pad"] = CenterCropPadTransform.Read,
            ["pad_to_multiple"] = PadToMultipleTransform.Read,
            ["random_patch"] = RandomPatchTransform.Read,
            ["random_flip"] = RandomFlipTransform.Read,
            ["random_rot90"] = RandomRot90Transform.Read,
            ["random_affine"] = RandomAffineTransform.Read,
            ["gaussian_noise"] = GaussianNoiseTransform.Read,
            ["gamma"] = GammaTransform.Read,
            ["scale_shift"] = ScaleShiftTransform.Read,
        };

    public static Transform Read(string name, IDictionary<string, object?> values)
    {
        if (!Readers.TryGetValue(name, out var read))
            throw new FormatException($"unknown transform '{name}'; known: {string.Join(", ", Readers.Keys)}");
        var p = new TransformParameters(name, values);
        var t = read(p);
        p.RejectUnknown();
        return t;
    }
}
