using TTL.Imaging.Augmentation;
using TTL.Imaging.Intensity;
using TTL.Imaging.Resampling;

namespace TTL.Imaging.Pipelines.Transforms;

/// <summary>`random_flip`: each listed axis flipped with probability <c>prob</c>, image and label together.</summary>
public sealed class RandomFlipTransform(int[] axes, double prob = 0.5) : Transform
{
    public int[] Axes { get; } = axes;
    public double Prob { get; } = prob;
    public override string Name => "random_flip";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        foreach (var axis in Draw(rng))
        {
            var map = SpatialAugment.FlipMap(s.Image.Shape, axis);
            s = s with { Image = SpatialAugment.Permute(s.Image, map, s.Image.Shape), Label = s.Label is null ? null : SpatialAugment.Permute(s.Label, map, s.Label.Shape) };
        }
        return s;
    }

    /// <summary>The axes flipped this time (the CPU and GPU paths draw the same).</summary>
    public List<int> Draw(Random rng) => Axes.Where(_ => rng.NextDouble() < Prob).ToList();

    public override IEnumerable<(string, object)> Parameters() => [("axes", Axes), ("prob", Prob)];
    public static RandomFlipTransform Read(TransformParameters p) => new(p.IntList("axes", [0, 1, 2]), p.Double("prob", 0.5));
}

/// <summary>`random_rot90`: with probability <c>prob</c>, k ∈ {1, …, max_k} quarter turns in the plane <c>axes</c>.</summary>
public sealed class RandomRot90Transform(int[] axes, double prob = 0.5, int maxK = 3) : Transform
{
    public int[] Axes { get; } = axes.Length == 2 ? axes : throw new FormatException("transform 'random_rot90': 'axes' must name 2 axes");
    public double Prob { get; } = prob;
    public int MaxK { get; } = maxK;
    public override string Name => "random_rot90";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        if (Draw(rng, s.Image.Shape) is not ({ } map, { } shape)) return s;
        return s with { Image = SpatialAugment.Permute(s.Image, map, shape), Label = s.Label is null ? null : SpatialAugment.Permute(s.Label, map, shape) };
    }

    /// <summary>The rotation's voxel map and output shape this time, or null when it is skipped.</summary>
    public (double[,] Map, int[] Shape)? Draw(Random rng, int[] shape)
    {
        if (rng.NextDouble() >= Prob) return null;
        int k = rng.Next(1, MaxK + 1);
        return SpatialAugment.Rot90Map(shape, k, Axes[0], Axes[1]);
    }

    public override IEnumerable<(string, object)> Parameters() => [("axes", Axes), ("prob", Prob), ("max_k", MaxK)];
    public static RandomRot90Transform Read(TransformParameters p) => new(p.IntList("axes", [0, 1]), p.Double("prob", 0.5), p.Int("max_k", 3));
}

/// <summary>
/// `random_affine`: with probability <c>prob</c>, rotation U(−r, r) degrees about each axis, scale
/// 1 + U(−s, s) per axis and translation U(−t, t) voxels per axis, about the grid centre in mm;
/// image linear, label nearest, border extension.
/// </summary>
public sealed class RandomAffineTransform(double prob, double[] rotateDegrees, double[] scale, double[] translate) : Transform
{
    public double Prob { get; } = prob;
    public double[] RotateDegrees { get; } = rotateDegrees;
    public double[] Scale { get; } = scale;
    public double[] Translate { get; } = translate;
    public override string Name => "random_affine";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        if (Draw(rng, s.Image.Shape, s.Image.Affine) is not { } map) return s;
        return s with
        {
            Image = SpatialAugment.Warp(s.Image, map, Interpolation.Linear),
            Label = s.Label is null ? null : SpatialAugment.Warp(s.Label, map, Interpolation.Nearest),
        };
    }

    /// <summary>This time's voxel map for a volume of <paramref name="shape"/> and <paramref name="affine"/>, or null when it is skipped.</summary>
    public double[,]? Draw(Random rng, int[] shape, double[,] affine)
    {
        if (rng.NextDouble() >= Prob) return null;
        double U(double r) => (2 * rng.NextDouble() - 1) * r;
        var angles = RotateDegrees.Select(r => U(r) * Math.PI / 180).ToArray();
        var scales = Scale.Select(r => 1 + U(r)).ToArray();
        var shifts = Translate.Select(U).ToArray();
        return SpatialAugment.AffineMap(shape, AffineMath.ColumnNorms3(affine), angles, scales, shifts);
    }

    public override IEnumerable<(string, object)> Parameters() => [("prob", Prob), ("rotate", RotateDegrees), ("scale", Scale), ("translate", Translate)];

    public static RandomAffineTransform Read(TransformParameters p) =>
        new(p.Double("prob", 0.5), p.Doubles("rotate", 3, [0, 0, 0]), p.Doubles("scale", 3, [0, 0, 0]), p.Doubles("translate", 3, [0, 0, 0]));
}

/// <summary>`gaussian_noise`: with probability <c>prob</c>, adds N(mean, std²) to the image.</summary>
public sealed class GaussianNoiseTransform(double prob, double mean, double std) : Transform
{
    public double Prob { get; } = prob;
    public double Mean { get; } = mean;
    public double Std { get; } = std;
    public override string Name => "gaussian_noise";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        if (Draw(rng) is int seed) IntensityAugment.GaussianNoise(s.Image.Data, Mean, Std, seed);
        return s;
    }

    /// <summary>The noise's seed this time, or null when it is skipped.</summary>
    public int? Draw(Random rng) => rng.NextDouble() >= Prob ? null : rng.Next();

    public override IEnumerable<(string, object)> Parameters() => [("prob", Prob), ("mean", Mean), ("std", Std)];
    public static GaussianNoiseTransform Read(TransformParameters p) => new(p.Double("prob", 0.5), p.Double("mean", 0), p.Double("std", 0.1));
}

/// <summary>`gamma`: with probability <c>prob</c>, a gamma curve with γ ~ U(range) over the image's range.</summary>
public sealed class GammaTransform(double prob, double[] range) : Transform
{
    public double Prob { get; } = prob;
    public double[] Range { get; } = range;
    public override string Name => "gamma";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        if (rng.NextDouble() >= Prob) return s;
        IntensityAugment.Gamma(s.Image.Data, Range[0] + rng.NextDouble() * (Range[1] - Range[0]));
        return s;
    }

    public override IEnumerable<(string, object)> Parameters() => [("prob", Prob), ("range", Range)];
    public static GammaTransform Read(TransformParameters p) => new(p.Double("prob", 0.5), p.Doubles("range", 2, [0.7, 1.5]));
}

/// <summary>`scale_shift`: with probability <c>prob</c>, x·a + b with a ~ U(scale), b ~ U(shift).</summary>
public sealed class ScaleShiftTransform(double prob, double[] scale, double[] shift) : Transform
{
    public double Prob { get; } = prob;
    public double[] Scale { get; } = scale;
    public double[] Shift { get; } = shift;
    public override string Name => "scale_shift";
    public override bool IsRandom => true;

    public override Sample Apply(Sample s, Random rng)
    {
        if (Draw(rng) is (float a, float b)) IntensityOps.Affine(s.Image.Data, a, b);
        return s;
    }

    /// <summary>This time's (scale, shift), or null when it is skipped.</summary>
    public (float Scale, float Shift)? Draw(Random rng)
    {
        if (rng.NextDouble() >= Prob) return null;
        double a = Scale[0] + rng.NextDouble() * (Scale[1] - Scale[0]);
        double b = Shift[0] + rng.NextDouble() * (Shift[1] - Shift[0]);
        return ((float)a, (float)b);
    }

    public override IEnumerable<(string, object)> Parameters() => [("prob", Prob), ("scale", Scale), ("shift", Shift)];
    public static ScaleShiftTransform Read(TransformParameters p) => new(p.Double("prob", 0.5), p.Doubles("scale", 2, [0.9, 1.1]), p.Doubles("shift", 2, [-0.1, 0.1]));
}
