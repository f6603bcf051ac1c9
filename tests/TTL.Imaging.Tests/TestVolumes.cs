namespace TTL.Imaging.Tests;

/// <summary>Small deterministic volumes and affines for the NIfTI tests.</summary>
public static class TestVolumes
{
    public static double[,] Affine(double[,] rotation, double[] zooms, double[] offset)
    {
        var a = AffineMath.Identity4();
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) a[i, j] = rotation[i, j] * zooms[j];
            a[i, 3] = offset[i];
        }
        return a;
    }

    public static double[,] Rotation(double ax, double ay, double az)
    {
        double[,] rx = { { 1, 0, 0 }, { 0, Math.Cos(ax), -Math.Sin(ax) }, { 0, Math.Sin(ax), Math.Cos(ax) } };
        double[,] ry = { { Math.Cos(ay), 0, Math.Sin(ay) }, { 0, 1, 0 }, { -Math.Sin(ay), 0, Math.Cos(ay) } };
        double[,] rz = { { Math.Cos(az), -Math.Sin(az), 0 }, { Math.Sin(az), Math.Cos(az), 0 }, { 0, 0, 1 } };
        return AffineMath.Multiply(rz, AffineMath.Multiply(ry, rx));
    }

    /// <summary>Voxel values that identify their position, optionally rounded to integers.</summary>
    public static Volume Make(int channels, int[] shape, double[,] affine, bool integers, int seed = 1)
    {
        var rng = new Random(seed);
        var data = new float[channels * shape[0] * shape[1] * shape[2]];
        for (int n = 0; n < data.Length; n++)
            data[n] = integers ? rng.Next(-120, 120) : (float)(rng.NextDouble() * 2000 - 1000);
        return new Volume(data, channels, shape, affine);
    }
}
