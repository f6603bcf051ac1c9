using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.Imaging;
using TTL.Imaging.Augmentation;

namespace TTL.Training.Demo;

/// <summary>Which synthetic tasks <see cref="DemoData.Write"/> produces.</summary>
public enum DemoTask
{
    Source,
    Target,
    Both,
}

/// <summary>One synthetic case: its image (float32, NIfTI index order), class, and lesion mask (target task).</summary>
public sealed record DemoCase(string Id, float[] Image, int Label, byte[]? Mask, Ellipsoid? Lesion);

/// <summary>What <see cref="DemoData.Write"/> wrote for one task: its case count and dataset.json.</summary>
public sealed record DemoTaskReport(int Cases, string Dataset);

/// <summary>
/// An ellipsoid in world space (mm): centre, semi-axes, and a rotation whose columns are the axis
/// directions. <see cref="Radius"/> is 1 on the surface.
/// </summary>
public sealed record Ellipsoid(double[] Centre, double[] SemiAxes, double[,] Rotation)
{
    /// <summary>Normalised ellipsoidal radius of a world point: &lt; 1 inside, 1 on the surface.</summary>
    public double Radius(double x, double y, double z)
    {
        double dx = x - Centre[0], dy = y - Centre[1], dz = z - Centre[2], r2 = 0;
        for (int a = 0; a < 3; a++)
        {
            double u = (Rotation[0, a] * dx + Rotation[1, a] * dy + Rotation[2, a] * dz) / SemiAxes[a];
            r2 += u * u;
        }
        return Math.Sqrt(r2);
    }
}

/// <summary>
/// Synthetic CT-like volumes for the end-to-end demo: a large SOURCE task and a small TARGET task
/// that share low-level structure (smooth blobs with soft edges, a textured background) but not
/// the high-level question, so features learned on the source help on the target only up to some
/// depth — the situation truncated transfer learning is about.
/// </summary>
/// <remarks>
/// Generative model (world millimetres; grid <see cref="Spacing"/> 1 × 1 × 2 mm, RAS, origin
/// offset <see cref="Origin"/>; every case draws from its own generator seeded by (seed, task, index)):
/// <list type="bullet">
/// <item>Background: 40 HU soft tissue, plus three plane waves (wavelength 25–60 mm, amplitude
/// 3–7 HU each, random direction and phase), plus fine texture: gaussian noise smoothed by a
/// separable [1, 2, 1]/4 kernel, scaled to a standard deviation of 6 HU.</item>
/// <item>Blob: an ellipsoid with a random orientation (uniform random rotation) and a soft edge,
/// contrast c/(1 + exp((r − 1)/0.12)) at normalised radius r, c uniform in 75–105 HU; volume-equivalent
/// radius 3.5–5.5 mm. Round blobs have semi-axes r_eq·(1 ± 0.08); elongated ones r_eq·(a^⅔, a^−⅓, a^−⅓)
/// with aspect a uniform in 2.5–3.5, so both kinds have the same volume (before the field of view
/// clips them).</item>
/// <item>Source (classification, labels 0 = round, 1 = elongated): 3–5 blobs, all round or all
/// elongated, centres at least 6 mm inside the field of view. The classes differ in shape, not in
/// intensity or blob size.</item>
/// <item>Target (classification 0 = no lesion, 1 = lesion; segmentation 0 = background, 1 = lesion):
/// 1–3 distractor blobs of either shape, and in positive cases one lesion: an ellipsoid (radius
/// 3–5 mm, axis ratios up to 1.4, random orientation, centre at least 7 mm inside) whose voxels
/// (r ≤ 1) get +15 HU and unsmoothed gaussian texture of 30 HU standard deviation. The lesion
/// mask is exactly those voxels; negatives have an empty mask.</item>
/// </list>
/// Classes are balanced: each consecutive pair of cases holds one of each class, in seeded order.
/// </remarks>
public static class DemoData
{
    public const int DefaultSourceCases = 200, DefaultTargetCases = 60;
    public static readonly int[] DefaultSize = [32, 32, 32];

    /// <summary>Voxel size (mm) along i, j, k.</summary>
    public static readonly double[] Spacing = [1, 1, 2];

    /// <summary>World position (mm) of voxel (0, 0, 0).</summary>
    public static readonly double[] Origin = [-12.5, -30, 8];

    private const double TissueHu = 40, FineTextureSd = 6, LesionShiftHu = 15, LesionTextureSd = 30, EdgeSoftness = 0.12;
    private const int SourceSalt = 1, TargetSalt = 2;

    public static double[,] Affine => new double[,]
    {
        { Spacing[0], 0, 0, Origin[0] },
        { 0, Spacing[1], 0, Origin[1] },
        { 0, 0, Spacing[2], Origin[2] },
        { 0, 0, 0, 1 },
    };

    /// <summary>
    /// Writes the chosen tasks under <paramref name="outDir"/>: <c>source/</c> (classification),
    /// <c>target/</c> (classification) and <c>target_seg/</c> (segmentation of the same target images),
    /// each with imagesTr (and labelsTr) and an MSD dataset.json. Every file is written atomically.
    /// </summary>
    /// <param name="cases">Cases per task; null for the defaults (source 200, target 60).</param>
    public static IReadOnlyDictionary<string, DemoTaskReport> Write(string outDir, DemoTask task, int? cases, int[] size, long seed, int threads = 0)
    {
        if (cases is < 2) throw new ArgumentException($"--cases {cases}: each task needs at least 2 cases (one per class)");
        CheckSize(size);
        var reports = new Dictionary<string, DemoTaskReport>();
        if (task is DemoTask.Source or DemoTask.Both)
        {
            int n = cases ?? DefaultSourceCases;
            var dir = Path.Combine(outDir, "source");
            Generate(n, threads, i => Source(i, seed, size), c => WriteImage(c, dir, size));
            reports["source"] = new(n, WriteClassification(dir, "source", n, seed, SourceSalt,
                "TTL demo source: blob shapes", "3-5 soft blobs on textured tissue; class = round or elongated blobs",
                new() { ["0"] = "round", ["1"] = "elongated" }));
        }
        if (task is DemoTask.Target or DemoTask.Both)
        {
            int n = cases ?? DefaultTargetCases;
            var cls = Path.Combine(outDir, "target");
            var seg = Path.Combine(outDir, "target_seg");
            Generate(n, threads, i => Target(i, seed, size), c =>
            {
                WriteImage(c, cls, size);
                WriteImage(c, seg, size);
                var mask = new float[c.Mask!.Length];
                for (int v = 0; v < mask.Length; v++) mask[v] = c.Mask[v];
                WriteNifti(new Volume(mask, 1, size, Affine), Path.Combine(seg, "labelsTr", c.Id + ".nii.gz"), NiftiDataType.UInt8);
            });
            reports["target"] = new(n, WriteClassification(cls, "target", n, seed, TargetSalt,
                "TTL demo target: textured lesions", "1-3 distractor blobs on textured tissue; class = a small textured lesion is present",
                new() { ["0"] = "no lesion", ["1"] = "lesion" }));
            reports["target_seg"] = new(n, WriteSegmentation(seg, n));
        }
        return reports;
    }

    /// <summary>Case <paramref name="index"/> of the source task.</summary>
    public static DemoCase Source(int index, long seed, int[] size)
    {
        CheckSize(size);
        int label = ClassOf(index, seed, SourceSalt);
        var rng = new Random(SeedMix.Derive(SeedMix.Derive(seed, SourceSalt), index));
        var image = Background(rng, size);
        int blobs = rng.Next(3, 6);
        for (int b = 0; b < blobs; b++) AddBlob(image, size, RandomBlob(rng, size, elongated: label == 1), 75 + 30 * rng.NextDouble());
        return new DemoCase(CaseId("source", index), image, label, null, null);
    }

    /// <summary>Case <paramref name="index"/> of the target task (image, class, lesion mask).</summary>
    public static DemoCase Target(int index, long seed, int[] size)
    {
        CheckSize(size);
        int label = ClassOf(index, seed, TargetSalt);
        var rng = new Random(SeedMix.Derive(SeedMix.Derive(seed, TargetSalt), index));
        var image = Background(rng, size);
        int blobs = rng.Next(1, 4);
        for (int b = 0; b < blobs; b++) AddBlob(image, size, RandomBlob(rng, size, elongated: rng.Next(2) == 1), 75 + 30 * rng.NextDouble());
        var mask = new byte[image.Length];
        Ellipsoid? lesion = null;
        if (label == 1)
        {
            double r = 3 + 2 * rng.NextDouble();
            var axes = new[] { r, r * (1 + 0.4 * rng.NextDouble()), r * (1 + 0.4 * rng.NextDouble()) };
            lesion = new Ellipsoid(RandomCentre(rng, size, 7), axes, RandomRotation(rng));
            ForEachVoxel(size, (v, x, y, z) =>
            {
                if (lesion.Radius(x, y, z) > 1) return;
                mask[v] = 1;
                image[v] += (float)(LesionShiftHu + LesionTextureSd * Gaussian(rng));
            });
        }
        return new DemoCase(CaseId("target", index), image, label, mask, lesion);
    }

    /// <summary>The class of case <paramref name="index"/>: each pair (2m, 2m + 1) holds classes 0 and 1 in a seeded order.</summary>
    public static int ClassOf(int index, long seed, int salt)
    {
        int first = SeedMix.Derive(SeedMix.Derive(seed, salt + 100), index / 2) & 1;
        return index % 2 == 0 ? first : 1 - first;
    }

    public static string CaseId(string task, int index) => $"{task}_{index:D3}";

    private static void CheckSize(int[] size)
    {
        if (size.Length != 3 || size.Any(s => s is < 16 or > 512))
            throw new ArgumentException($"--size {string.Join(",", size)}: three sizes between 16 and 512 voxels are needed");
    }

    private static void Generate(int n, int threads, Func<int, DemoCase> make, Action<DemoCase> write)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, n, options, i => write(make(i)));
    }

    private static void WriteImage(DemoCase c, string taskDir, int[] size) =>
        WriteNifti(new Volume(c.Image, 1, size, Affine), Path.Combine(taskDir, "imagesTr", c.Id + ".nii.gz"), NiftiDataType.Float32);

    private static void WriteNifti(Volume v, string path, NiftiDataType type)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NiftiWriter.Write(v, path, new NiftiWriteOptions { DataType = type, Threads = 1 });
    }

    private static string WriteClassification(string dir, string task, int n, long seed, int salt, string name, string description, JsonObject labels)
    {
        var training = new JsonArray();
        for (int i = 0; i < n; i++)
            training.Add(new JsonObject { ["image"] = $"./imagesTr/{CaseId(task, i)}.nii.gz", ["label"] = ClassOf(i, seed, salt) });
        return WriteDatasetJson(dir, name, description, labels, training);
    }

    private static string WriteSegmentation(string dir, int n)
    {
        var training = new JsonArray();
        for (int i = 0; i < n; i++)
        {
            string id = CaseId("target", i);
            training.Add(new JsonObject { ["image"] = $"./imagesTr/{id}.nii.gz", ["label"] = $"./labelsTr/{id}.nii.gz" });
        }
        return WriteDatasetJson(dir, "TTL demo target: lesion segmentation", "the target images with lesion masks",
            new JsonObject { ["0"] = "background", ["1"] = "lesion" }, training);
    }

    private static string WriteDatasetJson(string dir, string name, string description, JsonObject labels, JsonArray training)
    {
        var doc = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["reference"] = "synthetic, generated by ttl demo-data",
            ["tensorImageSize"] = "3D",
            ["modality"] = new JsonObject { ["0"] = "CT" },
            ["labels"] = labels,
            ["numTraining"] = training.Count,
            ["numTest"] = 0,
            ["training"] = training,
            ["test"] = new JsonArray(),
        };
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "dataset.json");
        string temp = Path.Combine(dir, ".dataset.json.tmp-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            File.WriteAllText(temp, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return path;
    }

    /// <summary>Tissue level, three plane waves, and smoothed fine texture.</summary>
    private static float[] Background(Random rng, int[] size)
    {
        var waves = new (double Kx, double Ky, double Kz, double Phase, double Amplitude)[3];
        for (int w = 0; w < waves.Length; w++)
        {
            var dir = RandomUnitVector(rng);
            double k = 2 * Math.PI / (25 + 35 * rng.NextDouble());
            waves[w] = (k * dir[0], k * dir[1], k * dir[2], 2 * Math.PI * rng.NextDouble(), 3 + 4 * rng.NextDouble());
        }
        var noise = new float[(long)size[0] * size[1] * size[2]];
        for (int v = 0; v < noise.Length; v++) noise[v] = (float)Gaussian(rng);
        noise = Smooth121(noise, size);
        // Three [1,2,1]/4 passes keep 0.375 of the variance each.
        float scale = (float)(FineTextureSd / Math.Sqrt(0.375 * 0.375 * 0.375));
        var image = new float[noise.Length];
        ForEachVoxel(size, (v, x, y, z) =>
        {
            double value = TissueHu;
            foreach (var (kx, ky, kz, phase, amplitude) in waves) value += amplitude * Math.Cos(kx * x + ky * y + kz * z + phase);
            image[v] = (float)value + scale * noise[v];
        });
        return image;
    }

    private static float[] Smooth121(float[] data, int[] size)
    {
        int[] stride = [size[1] * size[2], size[2], 1];
        var a = data;
        for (int axis = 0; axis < 3; axis++)
        {
            var b = new float[a.Length];
            int n = size[axis], s = stride[axis];
            for (int v = 0; v < a.Length; v++)
            {
                int at = v / s % n;
                float before = at > 0 ? a[v - s] : a[v], after = at < n - 1 ? a[v + s] : a[v];
                b[v] = 0.25f * before + 0.5f * a[v] + 0.25f * after;
            }
            a = b;
        }
        return a;
    }

    private static Ellipsoid RandomBlob(Random rng, int[] size, bool elongated)
    {
        double r = 3.5 + 2 * rng.NextDouble();
        double[] axes;
        if (elongated)
        {
            double aspect = 2.5 + rng.NextDouble();
            axes = [r * Math.Pow(aspect, 2.0 / 3), r * Math.Pow(aspect, -1.0 / 3), r * Math.Pow(aspect, -1.0 / 3)];
        }
        else
        {
            axes = [r * (1 + 0.16 * (rng.NextDouble() - 0.5)), r * (1 + 0.16 * (rng.NextDouble() - 0.5)), r * (1 + 0.16 * (rng.NextDouble() - 0.5))];
        }
        return new Ellipsoid(RandomCentre(rng, size, 6), axes, RandomRotation(rng));
    }

    private static void AddBlob(float[] image, int[] size, Ellipsoid blob, double contrast) =>
        ForEachVoxel(size, (v, x, y, z) =>
        {
            double r = blob.Radius(x, y, z);
            if (r < 3) image[v] += (float)(contrast / (1 + Math.Exp((r - 1) / EdgeSoftness)));
        });

    /// <summary>A world point at least <paramref name="margin"/> mm inside the field of view (its centre when the field is narrower).</summary>
    private static double[] RandomCentre(Random rng, int[] size, double margin)
    {
        var c = new double[3];
        for (int a = 0; a < 3; a++)
        {
            double extent = (size[a] - 1) * Spacing[a];
            double lo = Math.Min(margin, extent / 2), hi = Math.Max(extent - margin, extent / 2);
            c[a] = Origin[a] + lo + (hi - lo) * rng.NextDouble();
        }
        return c;
    }

    /// <summary>A uniformly random rotation (unit quaternion from four gaussians); columns are the rotated axes.</summary>
    private static double[,] RandomRotation(Random rng)
    {
        double w = Gaussian(rng), x = Gaussian(rng), y = Gaussian(rng), z = Gaussian(rng);
        double n = Math.Sqrt(w * w + x * x + y * y + z * z);
        return AffineMath.QuaternionToMatrix(w / n, x / n, y / n, z / n);
    }

    private static double[] RandomUnitVector(Random rng)
    {
        double x = Gaussian(rng), y = Gaussian(rng), z = Gaussian(rng), n = Math.Sqrt(x * x + y * y + z * z);
        return [x / n, y / n, z / n];
    }

    /// <summary>Standard normal by Box–Muller.</summary>
    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>Visits every voxel in memory order with its index and world position (x, y, z) in mm.</summary>
    private static void ForEachVoxel(int[] size, Action<int, double, double, double> visit)
    {
        int v = 0;
        for (int i = 0; i < size[0]; i++)
            for (int j = 0; j < size[1]; j++)
                for (int k = 0; k < size[2]; k++)
                    visit(v++, Origin[0] + i * Spacing[0], Origin[1] + j * Spacing[1], Origin[2] + k * Spacing[2]);
    }
}
