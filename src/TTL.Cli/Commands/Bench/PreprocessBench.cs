using System.Runtime.InteropServices;
using TTL.Imaging;
using TTL.Imaging.Compute;
using TTL.Imaging.Intensity;
using TTL.Imaging.Resampling;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench preprocess`: the common first steps of a CT pipeline on a 512×512×300 volume at
/// 0.7 mm stored LPS (so reorientation has real work): reorient to RAS, resample to 1.5 mm
/// trilinear, z-score. Ours: Orientation.Reorient, Resample.ToSpacing, IntensityOps.ZScore.
/// Reference: nibabel as_closest_canonical (copied out), scipy.ndimage.affine_transform order 1
/// with the same voxel mapping and boundary mode (nearest), NumPy z-score. The resampled arrays
/// are compared and the largest difference reported.
/// </summary>
public static class PreprocessBench
{
    private static readonly int[] Shape = [512, 512, 300];
    private const double Spacing = 0.7, Target = 1.5;

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ttl-bench-preprocess-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            Parallelism.MaxThreads = ctx.Threads;
            string nii = Path.Combine(dir, "ct.nii"), refOut = Path.Combine(dir, "ref.raw");
            ctx.Log.WriteLine($"bench preprocess: writing a {Shape[0]}×{Shape[1]}×{Shape[2]} LPS int16 volume at {Spacing} mm");
            NiftiWriter.Write(Phantom(), nii, new NiftiWriteOptions { DataType = NiftiDataType.Int16 });
            var source = NiftiReader.Read(nii);

            var ras = Orientation.Reorient(source, "RAS", ctx.Threads);
            var (outShape, _) = Resample.SpacingGrid(ras.Shape, ras.Affine, [Target, Target, Target]);

            ctx.Log.WriteLine($"bench preprocess: reference (nibabel + scipy, single-threaded by design) …");
            var reference = ReferenceScript.Run("preprocess_ref.py", ctx.Threads, nii, ctx.Runs.ToString(),
                (Target / Spacing).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                outShape[0].ToString(), outShape[1].ToString(), outShape[2].ToString(), refOut);

            ctx.Log.WriteLine($"bench preprocess: ours ({ctx.Threads} thread(s)) …");
            var tReorient = new List<double>();
            var tResample = new List<double>();
            var tZScore = new List<double>();
            var tTotal = new List<double>();
            Volume? resampled = null;
            for (int r = 0; r <= ctx.Runs; r++)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                var a = Orientation.Reorient(source, "RAS", ctx.Threads);
                long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                var b = Resample.ToSpacing(a, [Target, Target, Target], Interpolation.Linear);
                long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
                var c = new Volume((float[])b.Data.Clone(), b.Channels, b.Shape, b.Affine);
                long t2b = System.Diagnostics.Stopwatch.GetTimestamp();
                IntensityOps.ZScore(c);
                long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
                if (r == 0) continue; // warm-up
                double Ms(long from, long to) => (to - from) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
                tReorient.Add(Ms(t0, t1));
                tResample.Add(Ms(t1, t2));
                tZScore.Add(Ms(t2b, t3));
                tTotal.Add(Ms(t0, t2) + Ms(t2b, t3));
                resampled = b;
            }

            // Same numbers as scipy? (scipy blends in float64, we in float32.)
            var theirs = new float[resampled!.Data.Length];
            using (var f = File.OpenRead(refOut)) f.ReadExactly(MemoryMarshal.AsBytes(theirs.AsSpan()));
            double maxDiff = 0;
            for (int n = 0; n < theirs.Length; n++) maxDiff = Math.Max(maxDiff, Math.Abs(theirs[n] - resampled.Data[n]));

            string refName = $"nibabel {reference.GetProperty("nibabel").GetString()} + scipy {reference.GetProperty("scipy").GetString()} + numpy {reference.GetProperty("numpy").GetString()}";
            var extra = new Dictionary<string, object>
            {
                ["input"] = $"{Shape[0]}x{Shape[1]}x{Shape[2]} LPS {Spacing} mm",
                ["output"] = $"{outShape[0]}x{outShape[1]}x{outShape[2]} RAS {Target} mm",
                ["reference_threads"] = 1,
            };
            return
            [
                new("preprocess.reorient", Timing.Median(tReorient), refName, reference.GetProperty("reorient_ms").GetDouble(), extra),
                new("preprocess.resample_trilinear", Timing.Median(tResample), refName, reference.GetProperty("resample_ms").GetDouble(),
                    new Dictionary<string, object>(extra) { ["max_abs_diff_hu"] = maxDiff }),
                new("preprocess.zscore", Timing.Median(tZScore), refName, reference.GetProperty("zscore_ms").GetDouble(), extra),
                new("preprocess.total", Timing.Median(tTotal), refName, reference.GetProperty("total_ms").GetDouble(), extra),
            ];
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A CT-like phantom in HU: air, a soft-tissue ellipse with noise, a bone ring; stored LPS.</summary>
    private static Volume Phantom()
    {
        int n0 = Shape[0], n1 = Shape[1], n2 = Shape[2];
        var data = new float[(long)n0 * n1 * n2];
        Parallel.For(0, n0, i =>
        {
            uint h = (uint)i * 2654435761u;
            for (int j = 0; j < n1; j++)
                for (int k = 0; k < n2; k++)
                {
                    double x = (i - 256.0) / 200, y = (j - 256.0) / 150, z = (k - 150.0) / 140;
                    double r = x * x + y * y + 0.3 * z * z;
                    h = h * 1664525u + 1013904223u;
                    double noise = ((h >> 8) & 0xFFFF) / 65536.0 * 40 - 20;
                    double v = r > 1 ? -1000 : r > 0.8 ? 700 : 40 + 30 * Math.Sin(i * 0.05) * Math.Cos(j * 0.07) + noise;
                    data[((long)i * n1 + j) * n2 + k] = (float)Math.Round(v);
                }
        });
        var affine = new double[,] { { -Spacing, 0, 0, 180 }, { 0, -Spacing, 0, 180 }, { 0, 0, Spacing, -100 }, { 0, 0, 0, 1 } };
        return new Volume(data, 1, Shape, affine);
    }
}
