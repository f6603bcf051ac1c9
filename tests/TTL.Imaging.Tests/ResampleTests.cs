using System.Text.Json;
using TTL.Imaging.Resampling;

namespace TTL.Imaging.Tests;

/// <summary>
/// Resampling against scipy.ndimage.affine_transform given the same voxel mapping
/// (inverse(source affine) · output affine). All cases go to one Python process.
/// Tolerances (absolute, data in [0, 1)): nearest exact; trilinear 1e-5 (we blend in float32,
/// scipy in float64); cubic B-spline 2e-5 (float32 coefficients, 64-tap sum in float32).
/// </summary>
public class ResampleTests
{
    private static readonly Dictionary<Interpolation, double> Tolerance = new()
    {
        [Interpolation.Nearest] = 0,
        [Interpolation.Linear] = 1e-5,
        [Interpolation.BSpline] = 2e-5,
    };

    /// <summary>Anisotropic, non-cubic, oblique-free source: 13×9×11 voxels of 0.9×1.3×2.1 mm.</summary>
    private static Volume Source(int seed = 1)
    {
        var rng = new Random(seed);
        int[] shape = [13, 9, 11];
        var data = new float[13 * 9 * 11];
        for (int n = 0; n < data.Length; n++) data[n] = (float)rng.NextDouble();
        var a = new double[,] { { 0.9, 0, 0, -5 }, { 0, 1.3, 0, 3 }, { 0, 0, 2.1, 10 }, { 0, 0, 0, 1 } };
        return new Volume(data, 1, shape, a);
    }

    /// <summary>A grid rotated by 25° about z and 10° about x, with its own spacing, shape and origin.</summary>
    private static (int[] Shape, double[,] Affine) RotatedGrid()
    {
        double a = 25 * Math.PI / 180, b = 10 * Math.PI / 180;
        double[,] rz = { { Math.Cos(a), -Math.Sin(a), 0 }, { Math.Sin(a), Math.Cos(a), 0 }, { 0, 0, 1 } };
        double[,] rx = { { 1, 0, 0 }, { 0, Math.Cos(b), -Math.Sin(b) }, { 0, Math.Sin(b), Math.Cos(b) } };
        double[] sp = [0.8, 1.1, 1.7];
        var aff = new double[4, 4];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
            {
                double s = 0;
                for (int t = 0; t < 3; t++) s += rz[r, t] * rx[t, c];
                aff[r, c] = s * sp[c];
            }
        aff[0, 3] = -3.3; aff[1, 3] = 1.7; aff[2, 3] = 9.1; aff[3, 3] = 1;
        return ([12, 10, 14], aff);
    }

    private sealed record Case(string Name, Volume Source, Volume Result, double[,] Map, Interpolation Interp, BoundaryMode Mode, float Fill);

    private static Case Make(string name, Volume src, Volume result, Interpolation interp, BoundaryMode mode, float fill)
    {
        var map = AffineMath.Multiply(GridMath.Invert(src.Affine), result.Affine);
        return new Case(name, src, result, map, interp, mode, fill);
    }

    [Fact]
    public void ResampleEqualsScipyAffineTransformForAllOrdersModesAndGrids()
    {
        var src = Source();
        var cases = new List<Case>();
        var (rotShape, rotAffine) = RotatedGrid();
        foreach (var interp in new[] { Interpolation.Nearest, Interpolation.Linear, Interpolation.BSpline })
            foreach (var mode in new[] { BoundaryMode.Border, BoundaryMode.Constant })
            {
                float fill = mode == BoundaryMode.Constant ? -2.5f : 0f;
                string tag = $"{interp}_{mode}";
                cases.Add(Make("spacing_" + tag, src, Resample.ToSpacing(src, [0.7, 1.1, 1.6], interp, mode, fill), interp, mode, fill));
                cases.Add(Make("shape_" + tag, src, Resample.ToShape(src, [7, 12, 5], interp, mode, fill), interp, mode, fill));
                cases.Add(Make("rotated_" + tag, src, Resample.ToGrid(src, rotShape, rotAffine, interp, mode, fill), interp, mode, fill));
            }

        var arrays = new OracleArrays();
        var meta = new List<object>();
        foreach (var c in cases)
        {
            arrays.Add(c.Name + ".src", c.Source.Data, c.Source.Shape);
            var m = new double[12];
            for (int r = 0; r < 3; r++) for (int k = 0; k < 4; k++) m[r * 4 + k] = c.Map[r, k];
            arrays.Add(c.Name + ".map", m, 3, 4);
            meta.Add(new { name = c.Name, order = (int)c.Interp, mode = c.Mode == BoundaryMode.Border ? "nearest" : "constant", cval = c.Fill, shape = c.Result.Shape });
        }
        var expected = arrays.Meta("cases", JsonSerializer.Serialize(meta)).Run("resample.py");

        foreach (var c in cases)
        {
            var want = expected[c.Name];
            Assert.Equal(want.Length, c.Result.Data.Length);
            double worst = 0;
            for (int n = 0; n < want.Length; n++) worst = Math.Max(worst, Math.Abs(want[n] - c.Result.Data[n]));
            Assert.True(worst <= Tolerance[c.Interp], $"{c.Name}: max |ours − scipy| = {worst:E2} > {Tolerance[c.Interp]:E0}");
        }
    }

    [Theory]
    [InlineData(Interpolation.Linear, BoundaryMode.Border)]
    [InlineData(Interpolation.Linear, BoundaryMode.Constant)]
    [InlineData(Interpolation.Nearest, BoundaryMode.Border)]
    [InlineData(Interpolation.Nearest, BoundaryMode.Constant)]
    public void SeparableFastPathIsBitIdenticalToGeneralPath(Interpolation interp, BoundaryMode mode)
    {
        var src = Source(7);
        foreach (var spacing in new[] { new[] { 0.7, 1.1, 1.6 }, new[] { 1.5, 2.0, 0.9 } })
        {
            var (shape, affine) = Resample.SpacingGrid(src.Shape, src.Affine, spacing);
            // Shift the grid by a fraction of a voxel so the constant mode has points outside.
            affine[0, 3] -= 0.37; affine[2, 3] += 0.55;
            var map = AffineMath.Multiply(GridMath.Invert(src.Affine), affine);
            var fast = Resample.MapVoxels(src, shape, map, interp, mode, -1f, allowSeparable: true);
            var general = Resample.MapVoxels(src, shape, map, interp, mode, -1f, allowSeparable: false);
            Assert.Equal(general, fast);
        }
    }

    [Fact]
    public void SpacingGridFollowsMonaiSpacingShapeAndKeepsOriginAndDirections()
    {
        // LPS-like source: flipped i and j axes, 512×512×300 at 0.7 mm.
        var a = new double[,] { { -0.7, 0, 0, 100 }, { 0, -0.7, 0, 120 }, { 0, 0, 0.7, -50 }, { 0, 0, 0, 1 } };
        var (shape, affine) = Resample.SpacingGrid([512, 512, 300], a, [1.5, 1.5, 1.5]);
        // round(511·0.7/1.5) + 1 = round(238.47) + 1 and round(299·0.7/1.5) + 1 = round(139.53) + 1
        Assert.Equal([239, 239, 141], shape);
        Assert.Equal(-1.5, affine[0, 0], 12);
        Assert.Equal(-1.5, affine[1, 1], 12);
        Assert.Equal(1.5, affine[2, 2], 12);
        Assert.Equal(100, affine[0, 3], 9);
        Assert.Equal(120, affine[1, 3], 9);
        Assert.Equal(-50, affine[2, 3], 9);
    }

    [Fact]
    public void ResamplingOntoOwnGridReturnsTheSourceExactly()
    {
        var src = Source(3);
        foreach (var interp in new[] { Interpolation.Nearest, Interpolation.Linear })
            Assert.Equal(src.Data, Resample.OntoGridOf(src, src, interp).Data);
        var cubic = Resample.OntoGridOf(src, src, Interpolation.BSpline).Data;
        for (int n = 0; n < cubic.Length; n++) Assert.True(Math.Abs(cubic[n] - src.Data[n]) < 1e-5, "cubic B-spline must interpolate its samples");
    }

    [Fact]
    public void MultiChannelVolumesResampleEachChannelOnTheSameGrid()
    {
        var one = Source(5);
        var two = new Volume([.. one.Data, .. one.Data.Select(v => 2 * v)], 2, one.Shape, one.Affine);
        var r = Resample.ToSpacing(two, [1.2, 0.8, 1.9], Interpolation.Linear);
        var c0 = r.Channel(0).ToArray();
        var c1 = r.Channel(1).ToArray();
        for (int n = 0; n < c0.Length; n++) Assert.Equal(2 * c0[n], c1[n], 5);
        Assert.Equal(Resample.ToSpacing(one, [1.2, 0.8, 1.9], Interpolation.Linear).Data, c0);
    }
}
