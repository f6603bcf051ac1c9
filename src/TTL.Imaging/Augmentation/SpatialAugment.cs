using TTL.Imaging.Resampling;

namespace TTL.Imaging.Augmentation;

/// <summary>
/// Spatial augmentations as voxel maps run through <see cref="Resample.MapVoxels"/>, so that image
/// and label share one geometry and differ only in the interpolator (linear for images, nearest for
/// labels). Flips and 90° rotations are exact voxel permutations and carry the affine with them
/// (world positions unchanged, as MONAI's meta-tracked affine); a random affine resamples the
/// content onto the unchanged grid.
/// </summary>
public static class SpatialAugment
{
    /// <summary>Output voxel → source voxel map that reverses axis <paramref name="axis"/>.</summary>
    public static double[,] FlipMap(int[] shape, int axis)
    {
        var m = AffineMath.Identity4();
        m[axis, axis] = -1;
        m[axis, 3] = shape[axis] - 1;
        return m;
    }

    /// <summary>
    /// Map and output shape of <c>numpy.rot90(x, k, axes=(a, b))</c>: one quarter turn sends output
    /// (…, x_a, …, x_b, …) to source (x_b at a, n_b − 1 − x_a at b), from a towards b.
    /// </summary>
    public static (double[,] Map, int[] Shape) Rot90Map(int[] shape, int k, int a, int b)
    {
        if (a == b || a is < 0 or > 2 || b is < 0 or > 2) throw new ArgumentException("rotation plane needs two different axes out of 0, 1, 2");
        var m = AffineMath.Identity4();
        var s = (int[])shape.Clone();
        for (int turn = 0; turn < ((k % 4) + 4) % 4; turn++)
        {
            var q = new double[4, 4];
            q[3, 3] = 1;
            for (int d = 0; d < 3; d++) if (d != a && d != b) q[d, d] = 1;
            q[a, b] = 1;
            q[b, a] = -1;
            q[b, 3] = s[b] - 1;
            m = AffineMath.Multiply(m, q);
            (s[a], s[b]) = (s[b], s[a]);
        }
        return (m, s);
    }

    /// <summary>Applies an exact voxel permutation (flip / rot90 map) and carries the affine along.</summary>
    public static Volume Permute(Volume v, double[,] map, int[] shape) =>
        new(Resample.MapVoxels(v, shape, map, Interpolation.Nearest), v.Channels, shape, AffineMath.Multiply(v.Affine, map));

    /// <summary>
    /// Output voxel → source voxel map of a rotation (radians about axes i, j, k, applied as
    /// R = R_k·R_j·R_i), per-axis scale and translation (voxels) about the grid centre, in
    /// millimetres so a rotation of an anisotropic grid stays a rigid rotation in space.
    /// </summary>
    public static double[,] AffineMap(int[] shape, double[] spacing, double[] angles, double[] scale, double[] translate)
    {
        double[,] Rot(int axis, double t)
        {
            var r = AffineMath.Identity4();
            int p = (axis + 1) % 3, q = (axis + 2) % 3;
            r[p, p] = Math.Cos(t); r[p, q] = -Math.Sin(t);
            r[q, p] = Math.Sin(t); r[q, q] = Math.Cos(t);
            return r;
        }
        double[,] Diag(Func<int, double> f)
        {
            var d = AffineMath.Identity4();
            for (int a = 0; a < 3; a++) d[a, a] = f(a);
            return d;
        }
        double[,] Shift(Func<int, double> f)
        {
            var d = AffineMath.Identity4();
            for (int a = 0; a < 3; a++) d[a, 3] = f(a);
            return d;
        }
        var rotation = AffineMath.Multiply(AffineMath.Multiply(Rot(2, angles[2]), Rot(1, angles[1])), Rot(0, angles[0]));
        var rotT = AffineMath.Identity4();
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) rotT[r, c] = rotation[c, r];
        // source = c + D⁻¹·S⁻¹·Rᵀ·(D·(p − c) − D·t): the forward transform maps source to output.
        var m = Shift(a => (shape[a] - 1) / 2.0);
        m = AffineMath.Multiply(m, Diag(a => 1 / spacing[a]));
        m = AffineMath.Multiply(m, Diag(a => 1 / scale[a]));
        m = AffineMath.Multiply(m, rotT);
        m = AffineMath.Multiply(m, Shift(a => -spacing[a] * translate[a]));
        m = AffineMath.Multiply(m, Diag(a => spacing[a]));
        m = AffineMath.Multiply(m, Shift(a => -(shape[a] - 1) / 2.0));
        return m;
    }

    /// <summary>Resamples the content through <paramref name="map"/> onto the volume's own grid.</summary>
    public static Volume Warp(Volume v, double[,] map, Interpolation interp) =>
        new(Resample.MapVoxels(v, v.Shape, map, interp, BoundaryMode.Border), v.Channels, v.Shape, v.Affine);
}
