using TTL.Imaging.Resampling;

namespace TTL.Imaging.Pipelines.Transforms;

/// <summary>Names of interpolators and boundary modes in YAML.</summary>
internal static class SpatialNames
{
    public static Interpolation Interp(string s, string transform) => s switch
    {
        "nearest" => Interpolation.Nearest,
        "linear" => Interpolation.Linear,
        "bspline" => Interpolation.BSpline,
        _ => throw new FormatException($"transform '{transform}': interp '{s}' is not nearest, linear or bspline"),
    };

    public static string Name(Interpolation i) => i switch
    {
        Interpolation.Nearest => "nearest",
        Interpolation.Linear => "linear",
        _ => "bspline",
    };

    public static BoundaryMode Mode(string s, string transform) => s switch
    {
        "border" => BoundaryMode.Border,
        "constant" => BoundaryMode.Constant,
        _ => throw new FormatException($"transform '{transform}': mode '{s}' is not border or constant"),
    };

    public static string Name(BoundaryMode m) => m == BoundaryMode.Border ? "border" : "constant";
}

/// <summary>`reorient`: exact permutation/flip to axis codes (default RAS); labels follow voxel for voxel.</summary>
public sealed class ReorientTransform(string axcodes = "RAS") : Transform
{
    public string Axcodes { get; } = axcodes;
    public override string Name => "reorient";

    public override Sample Apply(Sample s, Random rng) =>
        s with { Image = Orientation.Reorient(s.Image, Axcodes), Label = s.Label is null ? null : Orientation.Reorient(s.Label, Axcodes) };

    public override IEnumerable<(string, object)> Parameters() => [("axcodes", Axcodes)];

    public static ReorientTransform Read(TransformParameters p) => new(p.String("axcodes", "RAS"));
}

/// <summary>
/// `spacing`: resample to voxel sizes <c>pixdim</c> (mm) on the grid of <see cref="Resample.SpacingGrid"/>;
/// the image with <c>interp</c>, the label always nearest, both onto the same grid.
/// </summary>
public sealed class SpacingTransform(double[] pixdim, Interpolation interp = Interpolation.Linear, BoundaryMode mode = BoundaryMode.Border, double fill = 0) : Transform
{
    public double[] Pixdim { get; } = pixdim;
    public Interpolation Interp { get; } = interp;
    public BoundaryMode Mode { get; } = mode;
    public double Fill { get; } = fill;
    public override string Name => "spacing";

    public override Sample Apply(Sample s, Random rng)
    {
        var (shape, affine) = Resample.SpacingGrid(s.Image.Shape, s.Image.Affine, Pixdim);
        return s with
        {
            Image = Resample.ToGrid(s.Image, shape, affine, Interp, Mode, (float)Fill),
            Label = s.Label is null ? null : Resample.ToGrid(s.Label, shape, affine, Interpolation.Nearest, Mode, 0f),
        };
    }

    public override IEnumerable<(string, object)> Parameters() =>
        [("pixdim", Pixdim), ("interp", SpatialNames.Name(Interp)), ("mode", SpatialNames.Name(Mode)), ("fill", Fill)];

    public static SpacingTransform Read(TransformParameters p) =>
        new(p.Doubles("pixdim", 3), SpatialNames.Interp(p.String("interp", "linear"), "spacing"),
            SpatialNames.Mode(p.String("mode", "border"), "spacing"), p.Double("fill", 0));
}

/// <summary>`resize`: resample to a voxel count per axis over the same field of view (<see cref="Resample.ShapeGrid"/>).</summary>
public sealed class ResizeTransform(int[] shape, Interpolation interp = Interpolation.Linear) : Transform
{
    public int[] Shape { get; } = shape;
    public Interpolation Interp { get; } = interp;
    public override string Name => "resize";

    public override Sample Apply(Sample s, Random rng)
    {
        var affine = Resample.ShapeGrid(s.Image.Shape, s.Image.Affine, Shape);
        return s with
        {
            Image = Resample.ToGrid(s.Image, Shape, affine, Interp),
            Label = s.Label is null ? null : Resample.ToGrid(s.Label, Shape, affine, Interpolation.Nearest),
        };
    }

    public override IEnumerable<(string, object)> Parameters() => [("shape", Shape), ("interp", SpatialNames.Name(Interp))];

    public static ResizeTransform Read(TransformParameters p) =>
        new(p.Ints("shape", 3), SpatialNames.Interp(p.String("interp", "linear"), "resize"));
}
