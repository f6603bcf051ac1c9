using TTL.Imaging.CropPad;
using Box = TTL.Imaging.CropPad.CropPad;

namespace TTL.Imaging.Pipelines.Transforms;

/// <summary>`crop_foreground`: crop image and label to the image's bounding box of values &gt; threshold, plus a margin.</summary>
public sealed class CropForegroundTransform(double threshold = 0, int[]? margin = null) : Transform
{
    public double Threshold { get; } = threshold;
    public int[] Margin { get; } = margin ?? [0, 0, 0];
    public override string Name => "crop_foreground";

    public override Sample Apply(Sample s, Random rng)
    {
        // An image with nothing above the threshold is kept whole rather than cropped to nothing.
        if (Box.ForegroundBox(s.Image, (float)Threshold, Margin) is not var (start, size)) return s;
        return s with { Image = Box.Region(s.Image, start, size), Label = s.Label is null ? null : Box.Region(s.Label, start, size) };
    }

    public override IEnumerable<(string, object)> Parameters() => [("threshold", Threshold), ("margin", Margin)];
    public static CropForegroundTransform Read(TransformParameters p) => new(p.Double("threshold", 0), p.Ints("margin", 3, [0, 0, 0]));
}

/// <summary>`center_crop_pad`: crop or pad each axis symmetrically to <c>size</c>; image padded with <c>pad_value</c>, label with 0.</summary>
public sealed class CenterCropPadTransform(int[] size, double padValue = 0) : Transform
{
    public int[] Size { get; } = size;
    public double PadValue { get; } = padValue;
    public override string Name => "center_crop_pad";

    public override Sample Apply(Sample s, Random rng)
    {
        var start = Box.CenteredStart(s.Image.Shape, Size);
        return s with { Image = Box.Region(s.Image, start, Size, (float)PadValue), Label = s.Label is null ? null : Box.Region(s.Label, start, Size) };
    }

    public override IEnumerable<(string, object)> Parameters() => [("size", Size), ("pad_value", PadValue)];
    public static CenterCropPadTransform Read(TransformParameters p) => new(p.Ints("size", 3), p.Double("pad_value", 0));
}

/// <summary>`pad_to_multiple`: pad symmetrically so every axis is a multiple of <c>multiple</c> (network strides).</summary>
public sealed class PadToMultipleTransform(int[] multiple, double padValue = 0) : Transform
{
    public int[] Multiple { get; } = multiple;
    public double PadValue { get; } = padValue;
    public override string Name => "pad_to_multiple";

    public override Sample Apply(Sample s, Random rng)
    {
        var size = Box.PaddedToMultiple(s.Image.Shape, Multiple);
        var start = Box.CenteredStart(s.Image.Shape, size);
        return s with { Image = Box.Region(s.Image, start, size, (float)PadValue), Label = s.Label is null ? null : Box.Region(s.Label, start, size) };
    }

    public override IEnumerable<(string, object)> Parameters() => [("multiple", Multiple), ("pad_value", PadValue)];
    public static PadToMultipleTransform Read(TransformParameters p) => new(p.Ints("multiple", 3), p.Double("pad_value", 0));
}

/// <summary>
/// `random_patch`: a training patch of <c>size</c> centred on foreground with probability
/// <c>foreground_ratio</c> (see <see cref="PatchSampler"/>). Needs a label.
/// </summary>
public sealed class RandomPatchTransform(int[] size, double foregroundRatio = 1.0 / 3) : Transform
{
    public int[] Size { get; } = size;
    public double ForegroundRatio { get; } = foregroundRatio;
    public override string Name => "random_patch";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        if (s.Label is null) throw new InvalidOperationException($"{s.Id}: random_patch samples by label and needs one");
        var start = PatchSampler.Start(s.Label, Size, ForegroundRatio, rng);
        return s with { Image = Box.Region(s.Image, start, Size), Label = Box.Region(s.Label, start, Size) };
    }

    public override IEnumerable<(string, object)> Parameters() => [("size", Size), ("foreground_ratio", ForegroundRatio)];
    public static RandomPatchTransform Read(TransformParameters p) => new(p.Ints("size", 3), p.Double("foreground_ratio", 1.0 / 3));
}
