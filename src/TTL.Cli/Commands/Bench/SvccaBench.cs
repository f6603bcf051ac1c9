using System.Diagnostics;
using System.Text;
using TTL.Analysis;
using TTL.Analysis.Activations;
using TTL.Analysis.Svcca;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench svcca`: SVCCA (99% variance cut, then CCA; PWCCA and CKA come with ours) on
/// activation-like float32 data that share a 48-dimensional latent plus noise.
/// * svcca.200000x512: A and B of 200,000 × 512, held in memory and written to .npy for the
///   reference — the published NumPy code path (Scripts/svcca_ref.py) on the same data.
/// * svcca.stream.2000000x256: 2,000,000 × 256 per side, generated in blocks and streamed through
///   the accumulator (never held whole; generation is not timed). The reference would need the
///   whole float64 matrices and their SVD workspace, so it runs only when that fits in memory.
/// Peak memory: ours is the process's peak resident set over the case (VmHWM, reset per case);
/// the reference's is its ru_maxrss. The reference runs once per case (a run takes minutes).
/// </summary>
public static class SvccaBench
{
    private const int Latent = 48;
    private const long Seed = 2017;

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        var results = new List<BenchResult> { Streamed(ctx, 2_000_000, 256) };
        results.Add(InMemory(ctx, 200_000, 512));
        return results;
    }

    private static BenchResult InMemory(BenchContext ctx, int n, int c)
    {
        ResetPeak();
        ctx.Log.WriteLine($"bench svcca: generating {n}×{c} float32 A and B");
        var a = new float[(long)n * c];
        var b = new float[(long)n * c];
        Generate(a, b, 0, n, c, 0);
        var ma = ActivationMatrix.FromArray("A", a, n, c);
        var mb = ActivationMatrix.FromArray("B", b, n, c);
        var acc = new AccumulatorOptions { Threads = ctx.Threads };
        SvccaResult? ours = null;
        double oursMs = Timing.MedianMs(ctx.Runs, () => ours = SvccaAnalysis.Compare(ma, mb, new SvccaOptions(), acc), warmup: 0);
        double oursPeak = PeakMb();

        var extra = new Dictionary<string, object>
        {
            ["n"] = n, ["c"] = c, ["dtype"] = "float32 data, float64 accumulation",
            ["kept_a"] = ours!.KeptA, ["kept_b"] = ours.KeptB, ["mean_cca"] = Math.Round(ours.MeanCca, 6),
            ["ours_runs"] = ctx.Runs, ["ours_peak_mb"] = Math.Round(oursPeak),
        };
        string dir = Path.Combine(Path.GetTempPath(), "ttl-bench-svcca-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            long need = ReferenceBytes(n, c);
            if (need > AvailableBytes())
                return Skipped($"svcca.{n}x{c}", oursMs, need, extra);
            string pa = Path.Combine(dir, "a.npy"), pb = Path.Combine(dir, "b.npy");
            WriteNpy(pa, a, n, c);
            WriteNpy(pb, b, n, c);
            a = b = null!;
            ma = mb = null!;
            GC.Collect();
            ctx.Log.WriteLine("bench svcca: running the NumPy reference once (minutes)");
            using var reference = new ReferenceProcess("svcca_ref.py", ctx.Threads);
            var answer = reference.Ask($"{pa} {pb}");
            extra["reference_runs"] = 1;
            extra["reference_peak_mb"] = Math.Round(answer.GetProperty("maxrss_mb").GetDouble());
            extra["reference_kept_a"] = answer.GetProperty("kept_a").GetInt32();
            extra["reference_kept_b"] = answer.GetProperty("kept_b").GetInt32();
            extra["reference_mean_cca"] = Math.Round(answer.GetProperty("mean_cca").GetDouble(), 6);
            string name = "NumPy " + reference.Hello.GetProperty("numpy").GetString() + " (published SVCCA: SVD + np.cov CCA)";
            return new BenchResult($"svcca.{n}x{c}", oursMs, name, answer.GetProperty("ms").GetDouble(), extra);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static BenchResult Streamed(BenchContext ctx, long n, int c)
    {
        ResetPeak();
        ctx.Log.WriteLine($"bench svcca: streaming {n}×{c} per side in blocks");
        const int block = 16384;
        var a = new float[block * c];
        var b = new float[block * c];
        var times = new List<double>();
        SvccaResult? result = null;
        for (int run = 0; run < ctx.Runs; run++)
        {
            var acc = new Analysis.Svcca.Cpu.CpuJointMomentAccumulator(c, c, new AccumulatorOptions { Threads = ctx.Threads });
            double ms = 0;
            for (long start = 0, index = 0; start < n; start += block, index++)
            {
                int rows = (int)Math.Min(block, n - start);
                Generate(a, b, index, rows, c, 1);
                long t0 = Stopwatch.GetTimestamp();
                acc.Add(a.AsSpan(0, rows * c), b.AsSpan(0, rows * c), rows);
                ms += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            long t1 = Stopwatch.GetTimestamp();
            result = Analysis.Svcca.Cpu.CpuSvccaBackend.Instance.Analyze(acc.Finish(), new SvccaOptions());
            ms += Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
            times.Add(ms);
        }
        var extra = new Dictionary<string, object>
        {
            ["n"] = n, ["c"] = c, ["dtype"] = "float32 data, float64 accumulation", ["block_rows"] = block,
            ["kept_a"] = result!.KeptA, ["kept_b"] = result.KeptB, ["mean_cca"] = Math.Round(result.MeanCca, 6),
            ["ours_runs"] = ctx.Runs, ["ours_peak_mb"] = Math.Round(PeakMb()),
            ["timed"] = "accumulation and analysis; block generation excluded",
        };
        long need = ReferenceBytes(n, c);
        return Skipped($"svcca.stream.{n}x{c}", Timing.Median(times), need, extra);
    }

    private static BenchResult Skipped(string name, double oursMs, long need, Dictionary<string, object> extra)
    {
        extra["reference_skipped"] = $"needs about {need >> 30} GiB (float64 copies and SVD workspace), {AvailableBytes() >> 30} GiB available";
        return new BenchResult(name, oursMs, "NumPy (not run: does not fit in memory)", double.NaN, extra);
    }

    /// <summary>Shared latent Z [n, 48] mapped into both sides plus independent noise, like two layers seeing the same inputs.</summary>
    private static void Generate(float[] a, float[] b, long blockIndex, int rows, int c, int stream)
    {
        var wa = Weights(c, 1);
        var wb = Weights(c, 2);
        const int part = 1024;
        int parts = (rows + part - 1) / part;
        Parallel.For(0, parts, p =>
        {
            var rng = Xoshiro256.ForStream(Seed + stream, blockIndex * 4096 + p);
            var z = new double[Latent];
            for (int r = p * part; r < Math.Min(rows, (p + 1) * part); r++)
            {
                rng.FillGaussian(z);
                for (int j = 0; j < c; j++)
                {
                    double va = 0, vb = 0;
                    for (int k = 0; k < Latent; k++)
                    {
                        va += z[k] * wa[k * c + j];
                        vb += z[k] * wb[k * c + j];
                    }
                    a[(long)r * c + j] = (float)(va + 0.3 * rng.NextGaussian());
                    b[(long)r * c + j] = (float)(vb + 0.3 * rng.NextGaussian());
                }
            }
        });
    }

    private static readonly Dictionary<(int, int), double[]> WeightCache = [];

    private static double[] Weights(int c, int side)
    {
        lock (WeightCache)
        {
            if (WeightCache.TryGetValue((c, side), out var w)) return w;
            w = new double[Latent * c];
            new Xoshiro256((ulong)(Seed * 10 + side)).FillGaussian(w);
            return WeightCache[(c, side)] = w;
        }
    }

    /// <summary>The reference holds A and B in float32, [A;B] and its centred copy in float64, and each side's SVD (V is C × N).</summary>
    private static long ReferenceBytes(long n, int c) => n * 2 * c * (4L + 8 + 8 + 8) + n * c * 8;

    private static long AvailableBytes()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return long.MaxValue;
    }

    /// <summary>Resets the kernel's peak-RSS mark for this process (Linux: "5" to clear_refs).</summary>
    private static void ResetPeak()
    {
        GC.Collect();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static double PeakMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }

    /// <summary>NumPy .npy v1.0, little-endian float32, C order.</summary>
    private static void WriteNpy(string path, float[] data, long n, int c)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({n}, {c}), }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        fs.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        fs.Write(BitConverter.GetBytes((ushort)header.Length));
        fs.Write(Encoding.ASCII.GetBytes(header));
        fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
    }
}
