using TTL.Imaging.Compute;

namespace TTL.Imaging.Resampling;

/// <summary>
/// Resampling in world space: every output voxel centre goes through the output affine to world
/// (RAS+ mm) and through the inverse source affine back to a source voxel position, where the
/// source is interpolated. So resampling onto another volume's grid is right for any pair of
/// affines (rotated, flipped, oblique), and a mapping that is axis-aligned takes a separable fast
/// path that gives the same numbers.
/// </summary>
/// <remarks>
/// Boundary and interpolation semantics are those of scipy.ndimage (<c>affine_transform</c> with
/// the voxel mapping inverse(source affine)·(output affine)): <see cref="BoundaryMode.Border"/> is
/// scipy's <c>mode='nearest'</c>, <see cref="BoundaryMode.Constant"/> its <c>mode='constant'</c>.
/// </remarks>
public static partial class Resample
{
    /// <summary>Resamples onto the grid (shape, affine).</summary>
    public static Volume ToGrid(Volume source, int[] shape, double[,] affine, Interpolation interp = Interpolation.Linear,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f)
    {
        var map = AffineMath.Multiply(GridMath.Invert(source.Affine), affine);
        return new Volume(MapVoxels(source, shape, map, interp, mode, fill), source.Channels, shape, affine);
    }

    /// <summary>Resamples onto another volume's grid, e.g. a prediction back into the scan's original space.</summary>
    public static Volume OntoGridOf(Volume source, Volume reference, Interpolation interp = Interpolation.Linear,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f) =>
        ToGrid(source, reference.Shape, reference.Affine, interp, mode, fill);

    /// <summary>Resamples to voxel sizes <paramref name="spacing"/> (mm along i, j, k); see <see cref="SpacingGrid"/>.</summary>
    public static Volume ToSpacing(Volume source, double[] spacing, Interpolation interp = Interpolation.Linear,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f)
    {
        var (shape, affine) = SpacingGrid(source.Shape, source.Affine, spacing);
        return ToGrid(source, shape, affine, interp, mode, fill);
    }

    /// <summary>Resamples to a voxel count per axis over the same field of view; see <see cref="ShapeGrid"/>.</summary>
    public static Volume ToShape(Volume source, int[] shape, Interpolation interp = Interpolation.Linear,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f) =>
        ToGrid(source, shape, ShapeGrid(source.Shape, source.Affine, shape), interp, mode, fill);

    /// <summary>
    /// The grid of MONAI's <c>Spacing(pixdim, diagonal=False)</c>: the axis directions of the source
    /// affine are kept and each column is rescaled to the new voxel size; the output covers the
    /// source's voxel centres: per axis, shape = round(extent / new spacing) + 1 (round half to even,
    /// as NumPy), where the extent is measured between the first and last source voxel centres after
    /// mapping the eight corner centres into the new grid, and the new voxel (0,0,0) sits on the corner
    /// that comes lowest (the source's voxel (0,0,0) for non-oblique grids, so the origin is unchanged).
    /// </summary>
    public static (int[] Shape, double[,] Affine) SpacingGrid(int[] shape, double[,] affine, double[] spacing)
    {
        if (spacing.Length != 3) throw new ArgumentException("spacing needs 3 values", nameof(spacing));
        var provisional = (double[,])affine.Clone();
        for (int c = 0; c < 3; c++)
        {
            if (!(spacing[c] > 0) || double.IsInfinity(spacing[c])) throw new ArgumentException($"spacing[{c}]={spacing[c]} must be > 0", nameof(spacing));
            double len = Math.Sqrt(affine[0, c] * affine[0, c] + affine[1, c] * affine[1, c] + affine[2, c] * affine[2, c]);
            if (!(len > 0)) throw new ArgumentException($"affine column {c} has zero length", nameof(affine));
            for (int r = 0; r < 3; r++) provisional[r, c] = affine[r, c] / len * spacing[c];
        }
        var toNew = AffineMath.Multiply(GridMath.Invert(provisional), affine);
        var lo = new double[] { double.MaxValue, double.MaxValue, double.MaxValue };
        var hi = new double[] { double.MinValue, double.MinValue, double.MinValue };
        for (int corner = 0; corner < 8; corner++)
        {
            var p = GridMath.Apply(toNew, (corner & 1) * (shape[0] - 1), ((corner >> 1) & 1) * (shape[1] - 1), ((corner >> 2) & 1) * (shape[2] - 1));
            double[] q = [p.X, p.Y, p.Z];
            for (int a = 0; a < 3; a++) { lo[a] = Math.Min(lo[a], q[a]); hi[a] = Math.Max(hi[a], q[a]); }
        }
        var outShape = new int[3];
        for (int a = 0; a < 3; a++) outShape[a] = (int)Math.Round(hi[a] - lo[a], MidpointRounding.ToEven) + 1;
        return (outShape, GridMath.Shifted(provisional, lo[0], lo[1], lo[2]));
    }

    /// <summary>
    /// The grid of <paramref name="shape"/> voxels over the source's field of view (voxel edges kept,
    /// as <c>torch.nn.functional.interpolate(align_corners=False)</c> and scipy's <c>zoom(grid_mode=True)</c>):
    /// spacing scales by n_in/n_out and output voxel i sits at source position (i + ½)·n_in/n_out − ½.
    /// </summary>
    public static double[,] ShapeGrid(int[] sourceShape, double[,] affine, int[] shape)
    {
        if (shape.Length != 3 || shape.Any(n => n < 1)) throw new ArgumentException("shape needs 3 positive sizes", nameof(shape));
        var m = AffineMath.Identity4();
        for (int a = 0; a < 3; a++)
        {
            double z = (double)sourceShape[a] / shape[a];
            m[a, a] = z;
            m[a, 3] = (z - 1) / 2;
        }
        return AffineMath.Multiply(affine, m);
    }

    /// <summary>
    /// Interpolates every channel of <paramref name="source"/> at the source voxel positions
    /// voxelMap·(i, j, k, 1) for all output voxels (i, j, k) of <paramref name="shape"/>. The core
    /// that the world-space functions and the spatial augmentations share.
    /// </summary>
    public static float[] MapVoxels(Volume source, int[] shape, double[,] voxelMap, Interpolation interp,
        BoundaryMode mode = BoundaryMode.Border, float fill = 0f) =>
        MapVoxels(source, shape, voxelMap, interp, mode, fill, allowSeparable: true);

    internal static float[] MapVoxels(Volume source, int[] shape, double[,] voxelMap, Interpolation interp,
        BoundaryMode mode, float fill, bool allowSeparable)
    {
        if (shape.Length != 3 || shape.Any(n => n < 1)) throw new ArgumentException("shape needs 3 positive sizes", nameof(shape));
        var m = PrepareMap(voxelMap);

        long outCount = (long)shape[0] * shape[1] * shape[2];
        // Every path writes every output voxel (the fill value outside), so skip the GC's zeroing.
        var result = GC.AllocateUninitializedArray<float>(checked((int)(outCount * source.Channels)));
        bool axisAligned = allowSeparable && m[0, 1] == 0 && m[0, 2] == 0 && m[1, 0] == 0 && m[1, 2] == 0 && m[2, 0] == 0 && m[2, 1] == 0;
        for (int ch = 0; ch < source.Channels; ch++)
        {
            var dst = new ArraySegment<float>(result, (int)(ch * outCount), (int)outCount);
            var src = new ArraySegment<float>(source.Data, (int)(ch * source.VoxelCount), (int)source.VoxelCount);
            if (axisAligned && interp == Interpolation.Linear) SeparableLinear(src, source.Shape, dst, shape, m, mode, fill);
            else if (axisAligned && interp == Interpolation.Nearest) SeparableNearest(src, source.Shape, dst, shape, m, mode, fill);
            else if (interp == Interpolation.Nearest) GeneralNearest(src, source.Shape, dst, shape, m, mode, fill);
            else if (interp == Interpolation.Linear) GeneralLinear(src, source.Shape, dst, shape, m, mode, fill);
            else if (interp == Interpolation.BSpline) GeneralCubic(src, source.Shape, dst, shape, m, mode, fill);
            else throw new ArgumentOutOfRangeException(nameof(interp), interp, "unknown interpolation");
        }
        return result;
    }

    /// <summary>
    /// The voxel map as every resampling path uses it (the CUDA path included): checked finite, and
    /// with off-diagonal round-off cleared. Products of inverse and forward affines leave ~1e-17
    /// where an exact zero belongs; treating those as zero lets axis-aligned mappings reach the
    /// separable path (a shift of &lt; 1e-12 voxel).
    /// </summary>
    internal static double[,] PrepareMap(double[,] voxelMap)
    {
        var m = (double[,])voxelMap.Clone();
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                if (!double.IsFinite(m[r, c])) throw new ArgumentException("voxel mapping is not finite", nameof(voxelMap));
        double scale = 0;
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) scale = Math.Max(scale, Math.Abs(m[r, c]));
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) if (r != c && Math.Abs(m[r, c]) < 1e-12 * scale) m[r, c] = 0;
        return m;
    }

    private static void GeneralNearest(ArraySegment<float> src, int[] n, ArraySegment<float> dst, int[] o, double[,] m, BoundaryMode mode, float fill)
    {
        int n0 = n[0], n1 = n[1], n2 = n[2], o1 = o[1], o2 = o[2];
        Parallelism.ForSlabs(o[0], 1, (from, to) =>
        {
            var s = src.AsSpan();
            var d = dst.AsSpan();
            for (int i = (int)from; i < to; i++)
                for (int j = 0; j < o1; j++)
                {
                    int row = (i * o1 + j) * o2;
                    for (int k = 0; k < o2; k++)
                    {
                        double x = m[0, 0] * i + m[0, 1] * j + m[0, 2] * k + m[0, 3];
                        double y = m[1, 0] * i + m[1, 1] * j + m[1, 2] * k + m[1, 3];
                        double z = m[2, 0] * i + m[2, 1] * j + m[2, 2] * k + m[2, 3];
                        d[row + k] = Taps.Nearest(x, n0, mode, out int a) && Taps.Nearest(y, n1, mode, out int b) && Taps.Nearest(z, n2, mode, out int c)
                            ? s[(a * n1 + b) * n2 + c]
                            : fill;
                    }
                }
        });
    }

    private static void GeneralLinear(ArraySegment<float> src, int[] n, ArraySegment<float> dst, int[] o, double[,] m, BoundaryMode mode, float fill)
    {
        int n0 = n[0], n1 = n[1], n2 = n[2], o1 = o[1], o2 = o[2];
        Parallelism.ForSlabs(o[0], 1, (from, to) =>
        {
            var s = src.AsSpan();
            var d = dst.AsSpan();
            for (int i = (int)from; i < to; i++)
                for (int j = 0; j < o1; j++)
                {
                    int row = (i * o1 + j) * o2;
                    for (int k = 0; k < o2; k++)
                    {
                        double x = m[0, 0] * i + m[0, 1] * j + m[0, 2] * k + m[0, 3];
                        double y = m[1, 0] * i + m[1, 1] * j + m[1, 2] * k + m[1, 3];
                        double z = m[2, 0] * i + m[2, 1] * j + m[2, 2] * k + m[2, 3];
                        if (!(Taps.Linear(x, n0, mode, out int a0, out int a1, out float wa)
                              && Taps.Linear(y, n1, mode, out int b0, out int b1, out float wb)
                              && Taps.Linear(z, n2, mode, out int c0, out int c1, out float wc)))
                        {
                            d[row + k] = fill;
                            continue;
                        }
                        // Blend along i, then j, then k: the order of the separable passes.
                        int r00 = (a0 * n1 + b0) * n2, r01 = (a0 * n1 + b1) * n2, r10 = (a1 * n1 + b0) * n2, r11 = (a1 * n1 + b1) * n2;
                        float u00 = Taps.Lerp(s[r00 + c0], s[r10 + c0], wa);
                        float u01 = Taps.Lerp(s[r00 + c1], s[r10 + c1], wa);
                        float u10 = Taps.Lerp(s[r01 + c0], s[r11 + c0], wa);
                        float u11 = Taps.Lerp(s[r01 + c1], s[r11 + c1], wa);
                        float v0 = Taps.Lerp(u00, u10, wb);
                        float v1 = Taps.Lerp(u01, u11, wb);
                        d[row + k] = Taps.Lerp(v0, v1, wc);
                    }
                }
        });
    }

    private static void GeneralCubic(ArraySegment<float> src, int[] n, ArraySegment<float> dst, int[] o, double[,] m, BoundaryMode mode, float fill)
    {
        var coef = BSplinePrefilter.Coefficients(src.AsSpan(), n[0], n[1], n[2], mode, out int pad);
        int n0 = n[0], n1 = n[1], n2 = n[2], o1 = o[1], o2 = o[2];
        int p1 = n1 + 2 * pad, p2 = n2 + 2 * pad;
        Parallelism.ForSlabs(o[0], 1, (from, to) =>
        {
            var d = dst.AsSpan();
            for (int i = (int)from; i < to; i++)
                for (int j = 0; j < o1; j++)
                {
                    int row = (i * o1 + j) * o2;
                    for (int k = 0; k < o2; k++)
                    {
                        double x = m[0, 0] * i + m[0, 1] * j + m[0, 2] * k + m[0, 3];
                        double y = m[1, 0] * i + m[1, 1] * j + m[1, 2] * k + m[1, 3];
                        double z = m[2, 0] * i + m[2, 1] * j + m[2, 2] * k + m[2, 3];
                        if (!(Taps.Cubic(x, n0, pad, mode, out var ta) && Taps.Cubic(y, n1, pad, mode, out var tb) && Taps.Cubic(z, n2, pad, mode, out var tc)))
                        {
                            d[row + k] = fill;
                            continue;
                        }
                        float acc = 0;
                        for (int u = 0; u < 4; u++)
                        {
                            int ia = u switch { 0 => ta.I0, 1 => ta.I1, 2 => ta.I2, _ => ta.I3 };
                            float wa = u switch { 0 => ta.W0, 1 => ta.W1, 2 => ta.W2, _ => ta.W3 };
                            float plane = 0;
                            for (int v = 0; v < 4; v++)
                            {
                                int ib = v switch { 0 => tb.I0, 1 => tb.I1, 2 => tb.I2, _ => tb.I3 };
                                float wb = v switch { 0 => tb.W0, 1 => tb.W1, 2 => tb.W2, _ => tb.W3 };
                                long r = ((long)ia * p1 + ib) * p2;
                                plane += wb * (tc.W0 * coef[r + tc.I0] + tc.W1 * coef[r + tc.I1] + tc.W2 * coef[r + tc.I2] + tc.W3 * coef[r + tc.I3]);
                            }
                            acc += wa * plane;
                        }
                        d[row + k] = acc;
                    }
                }
        });
    }
}
