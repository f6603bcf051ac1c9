using TTL.Cuda;
using TTL.Cuda.Kernels;
using TTL.Imaging.Augmentation;
using TTL.Imaging.Pipelines;
using TTL.Imaging.Pipelines.Transforms;
using TTL.Imaging.Resampling;
using Box = TTL.Imaging.CropPad.CropPad;

namespace TTL.Imaging.Cuda;

/// <summary>An image and its optional label on the GPU, on one grid: the GPU form of a <see cref="Sample"/>.</summary>
public sealed class GpuSample(GpuVolume image, GpuVolume? label, string id) : IDisposable
{
    public GpuVolume Image { get; private set; } = image;
    public GpuVolume? Label { get; private set; } = label;
    public string Id { get; } = id;

    public static GpuSample Upload(GpuDevice gpu, Sample s)
    {
        var image = GpuVolume.Upload(gpu, s.Image);
        try
        {
            return new GpuSample(image, s.Label is null ? null : GpuVolume.Upload(gpu, s.Label), s.Id);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public Sample Download() => new(Image.Download(), Label?.Download(), Id);

    /// <summary>Replaces the volumes (a transform's outputs), freeing the ones replaced.</summary>
    public void Replace(GpuVolume image, GpuVolume? label)
    {
        if (!ReferenceEquals(image, Image)) Image.Dispose();
        if (Label is not null && !ReferenceEquals(label, Label)) Label.Dispose();
        Image = image;
        Label = label;
    }

    public void Dispose()
    {
        Image.Dispose();
        Label?.Dispose();
    }
}

/// <summary>
/// Runs a <see cref="Pipeline"/>'s steps on the GPU with the CPU steps' definitions, so that the
/// result equals the CPU pipeline's (within the kernels' stated tolerances: exact for
/// rearrangements, 1e-5 for resampling and intensity maps, z-score statistics in float64 with
/// another summation order). Random steps draw from the sample's generator exactly as their CPU
/// forms do (their <c>Draw</c> methods), so a seed gives the same augmentation on either device.
/// A step without a GPU form (B-spline resampling, crop_foreground, random_patch, gamma) runs on
/// the CPU between a download and an upload; <see cref="CpuSteps"/> names them.
/// </summary>
public static class GpuPipeline
{
    /// <summary>The deterministic part, as <see cref="Pipeline.ApplyDeterministic"/>.</summary>
    public static Sample ApplyDeterministic(GpuDevice gpu, Pipeline p, Sample s) => Run(gpu, p.DeterministicSteps, s, new Random(0));

    /// <summary>The random part for (seed, sample id), as <see cref="Pipeline.ApplyRandom"/>.</summary>
    public static Sample ApplyRandom(GpuDevice gpu, Pipeline p, Sample s, long seed) =>
        Run(gpu, p.RandomSteps, s, new Random(SeedMix.Derive(seed, s.Id)));

    /// <summary>The steps of <paramref name="steps"/> that run on the CPU even when the pipeline runs on the GPU.</summary>
    public static IReadOnlyList<string> CpuSteps(IEnumerable<Transform> steps) => steps.Where(t => !OnGpu(t)).Select(t => t.Name).Distinct().ToList();

    private static bool OnGpu(Transform t) => t switch
    {
        SpacingTransform s => s.Interp != Interpolation.BSpline,
        ResizeTransform r => r.Interp != Interpolation.BSpline,
        ReorientTransform or ClipTransform or WindowTransform or ScaleRangeTransform or ZScoreTransform or PercentileClipTransform
            or CtNormalizeTransform or CenterCropPadTransform or PadToMultipleTransform or RandomFlipTransform or RandomRot90Transform
            or RandomAffineTransform or GaussianNoiseTransform or ScaleShiftTransform => true,
        _ => false,
    };

    private static Sample Run(GpuDevice gpu, IEnumerable<Transform> steps, Sample s, Random rng)
    {
        GpuSample? g = null;
        try
        {
            foreach (var t in steps)
            {
                if (OnGpu(t))
                {
                    g ??= GpuSample.Upload(gpu, s);
                    Apply(t, g, rng);
                }
                else
                {
                    if (g is not null)
                    {
                        s = g.Download();
                        g.Dispose();
                        g = null;
                    }
                    s = t.Apply(s, rng);
                }
            }
            return g?.Download() ?? s;
        }
        finally
        {
            g?.Dispose();
        }
    }

    private static void Apply(Transform t, GpuSample g, Random rng)
    {
        var (image, label) = (g.Image, g.Label);
        switch (t)
        {
            case ReorientTransform r:
                g.Replace(GpuLayout.Reorient(image, r.Axcodes), label is null ? null : GpuLayout.Reorient(label, r.Axcodes));
                break;
            case SpacingTransform s:
            {
                var (shape, affine) = Resample.SpacingGrid(image.Shape, image.Affine, s.Pixdim);
                g.Replace(GpuResample.ToGrid(image, shape, affine, s.Interp, s.Mode, (float)s.Fill),
                    label is null ? null : GpuResample.ToGrid(label, shape, affine, Interpolation.Nearest, s.Mode, 0f));
                break;
            }
            case ResizeTransform r:
            {
                var affine = Resample.ShapeGrid(image.Shape, image.Affine, r.Shape);
                g.Replace(GpuResample.ToGrid(image, r.Shape, affine, r.Interp),
                    label is null ? null : GpuResample.ToGrid(label, r.Shape, affine, Interpolation.Nearest));
                break;
            }
            case ClipTransform c:
                GpuIntensity.Clip(image, (float)c.Min, (float)c.Max);
                break;
            case WindowTransform w:
                GpuIntensity.Window(image, w.Window);
                break;
            case ScaleRangeTransform s:
                GpuIntensity.ScaleRange(image, s.AMin, s.AMax, s.BMin, s.BMax, s.Clip);
                break;
            case ZScoreTransform z:
                GpuIntensity.ZScore(image, z.Nonzero, z.ChannelWise);
                break;
            case PercentileClipTransform p:
                GpuIntensity.PercentileClip(image, p.Lower, p.Upper);
                break;
            case CtNormalizeTransform c:
                GpuIntensity.CtNormalize(image, c.Stats ?? throw new InvalidOperationException("ct_normalize has no dataset statistics yet: run it through `ttl preprocess`, which computes them from the training labels"));
                break;
            case CenterCropPadTransform c:
            {
                var start = Box.CenteredStart(image.Shape, c.Size);
                g.Replace(GpuLayout.Region(image, start, c.Size, (float)c.PadValue), label is null ? null : GpuLayout.Region(label, start, c.Size));
                break;
            }
            case PadToMultipleTransform p:
            {
                var size = Box.PaddedToMultiple(image.Shape, p.Multiple);
                var start = Box.CenteredStart(image.Shape, size);
                g.Replace(GpuLayout.Region(image, start, size, (float)p.PadValue), label is null ? null : GpuLayout.Region(label, start, size));
                break;
            }
            case RandomFlipTransform f:
            {
                var axes = f.Draw(rng);
                if (axes.Count == 0) break;
                if (label is not null)
                {
                    var (fi, fl) = GpuLayout.FlipPair(image, label, axes.ToArray());
                    g.Replace(fi, fl);
                }
                else
                    foreach (var axis in axes) g.Replace(Permute(g.Image, SpatialAugment.FlipMap(g.Image.Shape, axis), g.Image.Shape), null);
                break;
            }
            case RandomRot90Transform r:
                if (r.Draw(rng, image.Shape) is ({ } turn, { } turned))
                    g.Replace(Permute(image, turn, turned), label is null ? null : Permute(label, turn, turned));
                break;
            case RandomAffineTransform a:
                if (a.Draw(rng, image.Shape, image.Affine) is { } warp)
                {
                    if (label is not null)
                    {
                        var (wi, wl) = GpuResample.WarpPair(image, label, warp);
                        g.Replace(wi, wl);
                    }
                    else g.Replace(GpuResample.MapVoxels(image, image.Shape, warp, Interpolation.Linear), null);
                }
                break;
            case GaussianNoiseTransform n:
                if (n.Draw(rng) is int seed) GpuIntensity.GaussianNoise(image, (float)n.Mean, (float)n.Std, (uint)seed);
                break;
            case ScaleShiftTransform s:
                if (s.Draw(rng) is (float scale, float shift)) GpuIntensity.Apply(image, IntensityMap.Linear(scale, shift));
                break;
            default:
                throw new InvalidOperationException($"{t.Name} has no GPU form");
        }
    }

    /// <summary>An exact voxel permutation (flip / rot90 map) with the affine carried along, as <see cref="SpatialAugment.Permute"/>.</summary>
    private static GpuVolume Permute(GpuVolume v, double[,] map, int[] shape) =>
        GpuResample.MapVoxels(v, shape, map, Interpolation.Nearest, outputAffine: AffineMath.Multiply(v.Affine, map));
}
