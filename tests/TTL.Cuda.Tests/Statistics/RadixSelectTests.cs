using System.Runtime.InteropServices;
using System.Text.Json;
using TTL.Cuda.Statistics;
using TTL.Imaging.Intensity;
using TTL.TestSupport;

namespace TTL.Cuda.Tests.Statistics;

/// <summary>
/// The host logic of the GPU percentile (bin choice over three key histograms), driven by a CPU
/// histogram with the kernel's definition; the kernel itself is checked on a device.
/// </summary>
public sealed class RadixSelectTests
{
    /// <summary>What ttl_radix_histogram counts: non-NaN values whose key matches each query's prefix, by digit.</summary>
    private static Func<RadixQuery, uint[][]> Histogram(float[] x) => q =>
    {
        var h = q.Prefixes.Select(_ => new uint[1 << q.Bits]).ToArray();
        uint digit = (1u << q.Bits) - 1;
        foreach (var v in x)
        {
            if (float.IsNaN(v)) continue;
            uint key = RadixSelect.Key(v);
            for (int i = 0; i < q.Prefixes.Length; i++)
                if ((key & q.Masks[i]) == q.Prefixes[i]) h[i][(key >> q.Shift) & digit]++;
        }
        return h;
    };

    private static float[] Awkward(int n, int seed)
    {
        var rng = new System.Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (i % 7) switch
            {
                0 => 0f,
                1 => -0f,
                2 => -1024f,                                        // repeated values (CT air)
                3 => (float)(rng.NextDouble() * 1e-38),             // subnormals and tiny values
                4 => (float)(rng.NextDouble() * 4000 - 2000),
                5 => (float)Math.Round(rng.NextDouble() * 10 - 5),  // many ties
                _ => (float)(-rng.NextDouble() * 3e6),
            };
        x[n / 2] = float.PositiveInfinity;
        x[n / 3] = float.NegativeInfinity;
        return x;
    }

    [Fact]
    public void Order_statistics_equal_numpy_sort_and_percentiles_equal_numpy_and_the_cpu_path()
    {
        var x = Awkward(20011, 5);
        long[] ranks = [0, 1, 2857, 10005, 10006, 19998, 20010];
        double[] qs = [0, 0.5, 1, 25, 50, 99.5, 100, 37.3];
        var found = ranks.Chunk(RadixSelect.MaxQueries).SelectMany(b => RadixSelect.Select(x.Length, b, Histogram(x))).Select(v => (double)v);
        Assert.Equal(Oracle(x, ranks, qs).Values, found);
        Assert.Equal(Percentile.Of(x, qs), ViaRadix(x, qs));

        // NumPy's lerp turns an infinite order statistic into NaN (−inf + 0·inf); compare percentiles on finite values.
        var finite = x.Select(v => float.IsFinite(v) ? v : 3.5f).ToArray();
        Assert.Equal(Oracle(finite, ranks, qs).Percentiles, ViaRadix(finite, qs));
    }

    private static double[] ViaRadix(float[] x, double[] qs) => Percentile.Interpolate(x.Length, qs, rs =>
        rs.Chunk(RadixSelect.MaxQueries).SelectMany(b => RadixSelect.Select(x.Length, b, Histogram(x))).Select(v => (double)v).ToArray());

    private static (double[] Values, double[] Percentiles) Oracle(float[] x, long[] ranks, double[] qs)
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("x.f32"), MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
        using var doc = JsonDocument.Parse(Python.RunOracle("order_statistics.py", tmp.File("x.f32"), string.Join(",", ranks), string.Join(",", qs)));
        return (Doubles(doc.RootElement.GetProperty("values")), Doubles(doc.RootElement.GetProperty("percentiles")));
    }

    private static double[] Doubles(JsonElement bits) => bits.EnumerateArray().Select(b => BitConverter.Int64BitsToDouble(b.GetInt64())).ToArray();

    [Fact]
    public void Keys_order_floats_as_numbers_and_round_trip()
    {
        float[] ordered = [float.NegativeInfinity, -3e38f, -1f, -1e-45f, -0f, 0f, 1e-45f, 1f, 3e38f, float.PositiveInfinity];
        var keys = ordered.Select(RadixSelect.Key).ToArray();
        Assert.Equal(keys.Order(), keys);
        Assert.Equal(keys.Length, keys.Distinct().Count());
        foreach (var v in ordered) Assert.Equal(BitConverter.SingleToUInt32Bits(v), BitConverter.SingleToUInt32Bits(RadixSelect.FromKey(RadixSelect.Key(v))));
    }

    [Fact]
    public void A_constant_volume_and_a_single_value_select_that_value()
    {
        var x = Enumerable.Repeat(-1024f, 999).ToArray();
        Assert.Equal(new[] { -1024f, -1024f }, RadixSelect.Select(x.Length, [0, 998], Histogram(x)));
        Assert.Equal(new[] { 7f }, RadixSelect.Select(1, [0], Histogram([7f])));
    }

    [Fact]
    public void Ranks_outside_the_values_or_too_many_at_once_are_refused()
    {
        var x = new float[10];
        Assert.Throws<ArgumentOutOfRangeException>(() => RadixSelect.Select(10, [10], Histogram(x)));
        Assert.Throws<ArgumentException>(() => RadixSelect.Select(10, [0, 1, 2, 3, 4], Histogram(x)));
    }
}
