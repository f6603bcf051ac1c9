namespace TTL.Imaging;

/// <summary>
/// Small dense linear algebra for 4×4 affines and 3×3 rotations: products, quaternions (the
/// NIfTI qform convention) and the polar decomposition that nibabel uses to find the rotation
/// nearest to a sheared or scaled matrix.
/// </summary>
public static class AffineMath
{
    /// <summary>Machine epsilon of float64 (NumPy's <c>finfo(float64).eps</c>).</summary>
    public const double Float64Eps = 2.220446049250313e-16;

    public static double[,] Identity4()
    {
        var m = new double[4, 4];
        for (int i = 0; i < 4; i++) m[i, i] = 1;
        return m;
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), p = b.GetLength(1);
        if (b.GetLength(0) != k) throw new ArgumentException("inner dimensions differ");
        var c = new double[n, p];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < p; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += a[i, t] * b[t, j];
                c[i, j] = s;
            }
        return c;
    }

    /// <summary>Lengths of the first three columns of the upper-left 3×3 block (voxel sizes).</summary>
    public static double[] ColumnNorms3(double[,] a)
    {
        var z = new double[3];
        for (int c = 0; c < 3; c++) z[c] = Math.Sqrt(a[0, c] * a[0, c] + a[1, c] * a[1, c] + a[2, c] * a[2, c]);
        return z;
    }

    public static double Determinant3(double[,] m) =>
        m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
        - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
        + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);

    /// <summary>
    /// Rotation matrix of a quaternion (w, x, y, z), normalised first; a near-zero quaternion gives
    /// the identity, as nibabel's <c>quat2mat</c> does.
    /// </summary>
    public static double[,] QuaternionToMatrix(double w, double x, double y, double z)
    {
        double nq = w * w + x * x + y * y + z * z;
        var r = new double[3, 3];
        if (nq < Float64Eps)
        {
            r[0, 0] = r[1, 1] = r[2, 2] = 1;
            return r;
        }
        double s = 2.0 / nq;
        double X = x * s, Y = y * s, Z = z * s;
        double wX = w * X, wY = w * Y, wZ = w * Z;
        double xX = x * X, xY = x * Y, xZ = x * Z;
        double yY = y * Y, yZ = y * Z, zZ = z * Z;
        r[0, 0] = 1 - (yY + zZ); r[0, 1] = xY - wZ; r[0, 2] = xZ + wY;
        r[1, 0] = xY + wZ; r[1, 1] = 1 - (xX + zZ); r[1, 2] = yZ - wX;
        r[2, 0] = xZ - wY; r[2, 1] = yZ + wX; r[2, 2] = 1 - (xX + yY);
        return r;
    }

    /// <summary>
    /// Quaternion (w, x, y, z) with w ≥ 0 of a proper rotation matrix (Shepperd's method: pivot on
    /// the largest diagonal term so no division by a small number).
    /// </summary>
    public static (double W, double X, double Y, double Z) MatrixToQuaternion(double[,] r)
    {
        double t = r[0, 0] + r[1, 1] + r[2, 2];
        double w, x, y, z;
        if (t > r[0, 0] && t > r[1, 1] && t > r[2, 2])
        {
            double s = Math.Sqrt(1 + t) * 2;
            w = 0.25 * s; x = (r[2, 1] - r[1, 2]) / s; y = (r[0, 2] - r[2, 0]) / s; z = (r[1, 0] - r[0, 1]) / s;
        }
        else if (r[0, 0] > r[1, 1] && r[0, 0] > r[2, 2])
        {
            double s = Math.Sqrt(1 + r[0, 0] - r[1, 1] - r[2, 2]) * 2;
            w = (r[2, 1] - r[1, 2]) / s; x = 0.25 * s; y = (r[0, 1] + r[1, 0]) / s; z = (r[0, 2] + r[2, 0]) / s;
        }
        else if (r[1, 1] > r[2, 2])
        {
            double s = Math.Sqrt(1 + r[1, 1] - r[0, 0] - r[2, 2]) * 2;
            w = (r[0, 2] - r[2, 0]) / s; x = (r[0, 1] + r[1, 0]) / s; y = 0.25 * s; z = (r[1, 2] + r[2, 1]) / s;
        }
        else
        {
            double s = Math.Sqrt(1 + r[2, 2] - r[0, 0] - r[1, 1]) * 2;
            w = (r[1, 0] - r[0, 1]) / s; x = (r[0, 2] + r[2, 0]) / s; y = (r[1, 2] + r[2, 1]) / s; z = 0.25 * s;
        }
        double n = Math.Sqrt(w * w + x * x + y * y + z * z);
        w /= n; x /= n; y /= n; z /= n;
        return w < 0 ? (-w, -x, -y, -z) : (w, x, y, z);
    }

    /// <summary>
    /// The orthogonal factor of the polar decomposition of a 3×3 matrix, U·Vᵀ from its SVD, keeping
    /// only singular directions above <c>σmax · 3 · eps</c> (nibabel's rank threshold), so a
    /// rank-deficient input gives a partial isometry with zero columns where information is missing.
    /// </summary>
    public static double[,] NearestOrthogonal(double[,] m)
    {
        // Eigen-decomposition of MᵀM = V Σ² Vᵀ by cyclic Jacobi rotations; then U = M V Σ⁻¹.
        var a = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int t = 0; t < 3; t++) a[i, j] += m[t, i] * m[t, j];
        var v = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2] + a[1, 2] * a[1, 2];
            double diag = a[0, 0] * a[0, 0] + a[1, 1] * a[1, 1] + a[2, 2] * a[2, 2];
            if (off <= 1e-32 * diag || off == 0) break;
            for (int p = 0; p < 2; p++)
                for (int q = p + 1; q < 3; q++)
                {
                    if (a[p, q] == 0) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double tan = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) tan = 1;
                    double c = 1 / Math.Sqrt(tan * tan + 1), s = tan * c;
                    for (int k = 0; k < 3; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var sigma = new double[3];
        double smax = 0;
        for (int i = 0; i < 3; i++)
        {
            sigma[i] = Math.Sqrt(Math.Max(a[i, i], 0));
            smax = Math.Max(smax, sigma[i]);
        }
        double tol = smax * 3 * Float64Eps;
        var r = new double[3, 3];
        for (int e = 0; e < 3; e++)
        {
            if (!(sigma[e] > tol)) continue;
            // u = M v_e / σ_e; R += u v_eᵀ
            for (int i = 0; i < 3; i++)
            {
                double u = (m[i, 0] * v[0, e] + m[i, 1] * v[1, e] + m[i, 2] * v[2, e]) / sigma[e];
                for (int j = 0; j < 3; j++) r[i, j] += u * v[j, e];
            }
        }
        return r;
    }
}
