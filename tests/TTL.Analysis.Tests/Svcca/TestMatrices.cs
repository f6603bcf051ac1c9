using System.Runtime.InteropServices;
using TTL.Analysis;
using TTL.Analysis.Activations;
using TTL.Torch;
using TTL.Torch.Serialization;

namespace TTL.Analysis.Tests.Svcca;

/// <summary>Seeded test matrices (row-major [n, c] float64) and their exchange with the oracle.</summary>
internal static class TestMatrices
{
    public static double[] Gaussian(int n, int c, long seed)
    {
        var x = new double[n * c];
        new Xoshiro256((ulong)seed).FillGaussian(x);
        return x;
    }

    /// <summary>x [n, c] · m [c, d].</summary>
    public static double[] Times(double[] x, int n, int c, double[] m, int d)
    {
        var y = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < c; k++)
            {
                double v = x[i * c + k];
                for (int j = 0; j < d; j++) y[i * d + j] += v * m[k * d + j];
            }
        return y;
    }

    public static double[] Plus(double[] x, double[] y, double scaleY = 1) => x.Zip(y, (a, b) => a + scaleY * b).ToArray();

    /// <summary>Two views sharing k latent dimensions: A = Z·Wa + σ·Ea, B = Z·Wb + σ·Eb.</summary>
    public static (double[] A, double[] B) SharedLatent(int n, int ca, int cb, int k, double noise, long seed)
    {
        var z = Gaussian(n, k, seed);
        var a = Plus(Times(z, n, k, Gaussian(k, ca, seed + 1), ca), Gaussian(n, ca, seed + 2), noise);
        var b = Plus(Times(z, n, k, Gaussian(k, cb, seed + 3), cb), Gaussian(n, cb, seed + 4), noise);
        return (a, b);
    }

    public static ActivationMatrix Matrix(double[] x, int n, int c, string name = "m") => ActivationMatrix.FromArray(name, x, n, c);

    public static void Write(string path, double[] x, params long[] shape) =>
        Safetensors.Write(path, [new TensorRecord("acts", DType.Float64, shape, MemoryMarshal.AsBytes(x.AsSpan()).ToArray())]);

    public static void Write(string path, float[] x, params long[] shape) =>
        Safetensors.Write(path, [new TensorRecord("acts", DType.Float32, shape, MemoryMarshal.AsBytes(x.AsSpan()).ToArray())]);
}
