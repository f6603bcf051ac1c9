namespace TTL.Imaging.Resampling;

/// <summary>The 4×4 operations resampling needs beyond <see cref="AffineMath"/>: inverse, point mapping, grid shift.</summary>
internal static class GridMath
{
    /// <summary>General inverse by Gauss–Jordan elimination with partial pivoting.</summary>
    public static double[,] Invert(double[,] m)
    {
        var a = (double[,])m.Clone();
        var inv = AffineMath.Identity4();
        for (int col = 0; col < 4; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 4; r++)
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            if (Math.Abs(a[pivot, col]) < 1e-300) throw new ArgumentException("affine is singular");
            if (pivot != col)
                for (int c = 0; c < 4; c++)
                {
                    (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
                    (inv[col, c], inv[pivot, c]) = (inv[pivot, c], inv[col, c]);
                }
            double p = a[col, col];
            for (int c = 0; c < 4; c++) { a[col, c] /= p; inv[col, c] /= p; }
            for (int r = 0; r < 4; r++)
            {
                if (r == col) continue;
                double f = a[r, col];
                if (f == 0) continue;
                for (int c = 0; c < 4; c++) { a[r, c] -= f * a[col, c]; inv[r, c] -= f * inv[col, c]; }
            }
        }
        return inv;
    }

    /// <summary>The point m·(x, y, z, 1).</summary>
    public static (double X, double Y, double Z) Apply(double[,] m, double x, double y, double z) =>
        (m[0, 0] * x + m[0, 1] * y + m[0, 2] * z + m[0, 3],
         m[1, 0] * x + m[1, 1] * y + m[1, 2] * z + m[1, 3],
         m[2, 0] * x + m[2, 1] * y + m[2, 2] * z + m[2, 3]);

    /// <summary>Copy of the affine with the voxel index offset by (di, dj, dk): the grid of a crop or pad.</summary>
    public static double[,] Shifted(double[,] affine, double di, double dj, double dk)
    {
        var r = (double[,])affine.Clone();
        for (int row = 0; row < 3; row++)
            r[row, 3] = affine[row, 0] * di + affine[row, 1] * dj + affine[row, 2] * dk + affine[row, 3];
        return r;
    }
}
