using System.Diagnostics;
using TTL.Imaging;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench nifti`: reading a 512×512×300 int16 CT-like volume to floats, as .nii.gz and as
/// .nii, with our reader and with nibabel (get_fdata(), which forces the full array). The files
/// are written once into a temporary folder; runs alternate between the two sides.
/// </summary>
public static class NiftiBench
{
    private static readonly int[] Shape = [512, 512, 300];

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ttl-bench-nifti-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            ctx.Log.WriteLine($"bench nifti: writing a {Shape[0]}×{Shape[1]}×{Shape[2]} int16 volume to {dir}");
            var img = Phantom();
            string gz = Path.Combine(dir, "ct.nii.gz"), nii = Path.Combine(dir, "ct.nii");
            NiftiWriter.Write(img, gz, compressionLevel: 6);
            NiftiWriter.Write(img, nii);
            img = null;

            using var reference = new ReferenceProcess("nifti_ref.py", ctx.Threads);
            string refName = "nibabel " + reference.Hello.GetProperty("version").GetString();
            var options = new NiftiReadOptions { Threads = ctx.Threads };
            var results = new List<BenchResult>();
            foreach (var (name, path) in new[] { ("nifti.read.nii.gz", gz), ("nifti.read.nii", nii) })
            {
                var (ours, theirs) = Alternate(ctx, name, () => NiftiReader.Read(path, options), reference, path);
                results.Add(new BenchResult(name, ours, refName, theirs, new Dictionary<string, object>
                {
                    ["shape"] = $"{Shape[0]}x{Shape[1]}x{Shape[2]}",
                    ["datatype"] = "int16",
                    ["file_mb"] = Math.Round(new FileInfo(path).Length / 1048576.0, 1),
                    ["output"] = "ours float32, nibabel float64 (get_fdata)",
                }));
            }
            return results;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Warm-up on both sides, then alternating timed runs; medians in ms.</summary>
    private static (double Ours, double Reference) Alternate(BenchContext ctx, string name, Func<Volume> ours, ReferenceProcess reference, string path)
    {
        ours();
        reference.Ask(path);
        var o = new List<double>();
        var r = new List<double>();
        for (int k = 0; k < ctx.Runs; k++)
        {
            r.Add(reference.Ask(path).GetProperty("ms").GetDouble());
            // Collect the previous run's arrays first so our timing does not include their release.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long t0 = Stopwatch.GetTimestamp();
            var v = ours();
            o.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            GC.KeepAlive(v);
            ctx.Log.WriteLine($"bench {name}: run {k + 1}/{ctx.Runs}: ours {o[^1]:F1} ms, nibabel {r[^1]:F1} ms");
        }
        return (Timing.Median(o), Timing.Median(r));
    }

    /// <summary>
    /// A CT-like volume in Hounsfield units: air around an elliptic body of soft tissue with a
    /// bright spine-like cylinder, plus deterministic noise, so it compresses like a real scan
    /// (neither constant nor random).
    /// </summary>
    private static NiftiImage Phantom()
    {
        int I = Shape[0], J = Shape[1], K = Shape[2];
        var data = new byte[(long)I * J * K * 2];
        Parallel.For(0, K, k =>
        {
            var plane = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(data.AsSpan((int)((long)k * I * J * 2), I * J * 2));
            uint state = (uint)(k * 2654435761u + 12345);
            for (int j = 0; j < J; j++)
                for (int i = 0; i < I; i++)
                {
                    double x = (i - I / 2.0) / (I * 0.42), y = (j - J / 2.0) / (J * 0.32);
                    double r2 = x * x + y * y;
                    double dx = (i - I / 2.0) / 20, dy = (j - J * 0.7) / 20;
                    state = state * 1664525u + 1013904223u;
                    int noise = (int)(state >> 27) - 16;
                    int hu = r2 > 1 ? -1000 : dx * dx + dy * dy < 1 ? 700 + noise : 40 + noise + (int)(30 * Math.Sin(k * 0.05));
                    plane[j * I + i] = (short)hu;
                }
        });
        var affine = new double[4, 4] { { -0.7, 0, 0, 180 }, { 0, -0.7, 0, 180 }, { 0, 0, 1, -150 }, { 0, 0, 0, 1 } };
        var header = new NiftiHeader { XyztUnits = 10 }.WithShape([I, J, K]).WithDataType(NiftiDataType.Int16)
            .WithQForm(affine, 1).WithSForm(affine, 1);
        return new NiftiImage(header, data);
    }
}
