using TTL.Imaging;
using TTL.Imaging.Cuda;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>The device the GPU tests share (opened on first use, only ever by a test that runs), and their data and comparisons.</summary>
internal static class Gpus
{
    private static readonly Lazy<GpuDevice> _device = new(() => GpuDevice.Open(0));

    public static GpuDevice Device => _device.Value;

    /// <summary>An odd-shaped multi-channel volume with smooth structure, sharp edges and zeros (for the nonzero statistics).</summary>
    public static Volume RandomVolume(int channels, int[] shape, int seed, double[,]? affine = null)
    {
        var rng = new System.Random(seed);
        var data = new float[channels * shape[0] * shape[1] * shape[2]];
        for (int i = 0; i < data.Length; i++)
            data[i] = i % 11 == 0 ? 0f : (float)(Math.Sin(i * 0.013) * 300 + rng.NextDouble() * 200 - 100 + (i % 97 < 5 ? 1500 : 0));
        return new Volume(data, channels, shape, affine ?? new double[,] { { 1.2, 0, 0, -30 }, { 0, 0.9, 0, 12 }, { 0, 0, 2.5, 40 }, { 0, 0, 0, 1 } });
    }

    /// <summary>|actual − expected| ≤ rel·max(1, |expected|) everywhere, naming the worst element otherwise.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) continue;
            double err = Math.Abs(actual[i] - (double)expected[i]) / Math.Max(1, Math.Abs(expected[i]));
            if (!(err <= worstErr)) { worstErr = double.IsNaN(err) ? double.PositiveInfinity : err; worst = i; }
        }
        Assert.True(worstErr <= rel, $"{what}: element {worst}: expected {(worst >= 0 ? expected[worst] : 0)}, got {(worst >= 0 ? actual[worst] : 0)} (relative error {worstErr:E2} > {rel:E0})");
    }

    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double rel, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]) / Math.Max(1e-300, Math.Max(Math.Abs(expected[i]), 1e-12));
            Assert.True(err <= rel || Math.Abs(actual[i] - expected[i]) <= rel * 1e-6, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative error {err:E2})");
        }
    }

    /// <summary>
    /// |actual − expected| ≤ rel·max|expected| everywhere: the accuracy a matrix product or
    /// factorisation promises, relative to the matrix and not to each entry (an entry that happens
    /// to be near zero carries the round-off of the large terms that cancelled in it).
    /// </summary>
    public static void CloseToScale(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double rel, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= rel * scale,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {Math.Abs(actual[i] - expected[i]):E2} > {rel:E0} × {scale:G4})");
    }

    /// <summary>
    /// Scatter matrices (d × d, row-major) agree entry by entry to rel of their natural scale
    /// √(S_ii·S_jj): correlation-level agreement, which a near-zero covariance cannot fail by round-off alone.
    /// </summary>
    public static void CloseScatter(double[] expected, double[] actual, int d, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double scale = Math.Sqrt(Math.Abs(expected[i * d + i] * expected[j * d + j]));
                double err = Math.Abs(actual[i * d + j] - expected[i * d + j]);
                Assert.True(err <= rel * scale, $"{what}[{i}, {j}]: expected {expected[i * d + j]:R}, got {actual[i * d + j]:R} (error {err:E2} > {rel:E0} × {scale:G4})");
            }
    }

    public static GpuVolume Upload(Volume v) => GpuVolume.Upload(Device, v);
}
