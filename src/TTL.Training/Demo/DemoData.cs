using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.Imaging;
using TTL.Imaging.Augmentation;
using TTL.Training.Runs;

namespace TTL.Training.Demo;

/// <summary>Which synthetic tasks <see cref="DemoData.Write"/> produces.</summary>
public enum DemoTask
{
    /// <summary><c>source</c> (classification) and <c>source_seg</c> (segmentation).</summary>
    Source,
    /// <summary><c>target</c> (classification) and <c>target_seg</c> (segmentation).</summary>
    Target,
    Both,
}

/// <summary>One textured blob of a synthetic case: centre and radius in voxels (i, j, k), and its texture (0..5).</summary>
public sealed record DemoBlob(double[] Centre, double Radius, int Texture)
{
    /// <summary>Whether the texture's stripes run along an axis (textures 0, 1, 2) rather than a face diagonal.</summary>
    public bool AxisAligned => DemoData.IsAxisAligned(Texture);
}

/// <summary>
/// One synthetic case: its image (float32 HU, NIfTI index order), class, its blobs, and the label
/// map of its segmentation task (null for classification cases).
/// </summary>
public sealed record DemoCase(string Id, float[] Image, int Label, IReadOnlyList<DemoBlob> Blobs, byte[]? Mask);

/// <summary>What <see cref="DemoData.Write"/> wrote for one task: its training and test case counts and dataset.json.</summary>
public sealed record DemoTaskReport(int Cases, int TestCases, string Dataset);

/// <summary>
/// Synthetic CT-like volumes for the end-to-end demo, built so that the premise of truncated
/// transfer learning holds by construction: a large SOURCE task and a small TARGET task share
/// their low-level vocabulary (six striped textures on the same noisy tissue) but ask different
/// high-level questions, so features learned on the source help the target up to some depth and
/// the source's top layers (which merge the textures the source does not need to tell apart) do
/// not. The model is fixed and documented in docs/demo.md; in short:
/// <list type="bullet">
/// <item>Grid: <see cref="Spacing"/> mm isotropic voxels, RAS, origin <see cref="Origin"/>. Every case
/// draws from its own generator seeded by (seed, task, index).</item>
/// <item>Background: <see cref="TissueHu"/> HU, plus two plane waves (wavelength 16–40 voxels,
/// amplitude 5–12.5 HU, random direction and phase), plus white gaussian noise of
/// <see cref="NoiseSd"/> HU.</item>
/// <item>Blob: a ball of radius 3.5–4.5 voxels with a soft edge (logistic, 0.6 voxel) filled with
/// a stripe texture: <see cref="TextureHu"/> · cos(2π (x·n)/4 + φ), period 4 voxels, φ uniform,
/// n one of six directions: the axes i, j, k (textures 0–2, "axis-aligned") and the face
/// diagonals ij, ik, jk (textures 3–5, "oblique"). Blobs have no mean contrast: only their
/// texture sets them apart from the tissue. Every case holds three blobs whose centres are at
/// least 9 voxels apart and 5 voxels inside the grid.</item>
/// <item>Source (classification): 1 when most of the three blobs are axis-aligned, else 0; the
/// textures are uniform over the six, conditioned on the class. Its top layers only need
/// "axis-aligned or oblique", whichever axis.</item>
/// <item>Target (classification): 1 when one blob has texture 1 (stripes along j, the
/// "lesion"), else 0; the other blobs' textures are uniform over the other five. Each texture
/// then makes up one sixth of all blobs, as in the source.</item>
/// <item>Segmentation: source_seg marks every axis-aligned blob (label 1) of source-like cases
/// holding at least one; target_seg marks the lesion blob of target cases that always hold
/// one. A blob's mask is its voxels within its radius.</item>
/// </list>
/// Classes are balanced: each consecutive pair of classification cases holds one of each class,
/// in seeded order.
/// </summary>
public static class DemoData
{
    public const int DefaultSourceCases = 600, DefaultTargetCases = 80;

    /// <summary>Changes whenever the model below changes, so a demo folder made by another model is refused.</summary>
    public const int ModelVersion = 2;
    public static readonly int[] DefaultSize = [24, 24, 24];

    /// <summary>Voxel size (mm) along i, j, k.</summary>
    public static readonly double[] Spacing = [2, 2, 2];

    /// <summary>World position (mm) of voxel (0, 0, 0).</summary>
    public static readonly double[] Origin = [-24, -24, -24];

    public const double TissueHu = 40, NoiseSd = 15, TextureHu = 25, StripePeriod = 4;
    public const int Textures = 6, LesionTexture = 1, BlobsPerCase = 3;
    public const double MinRadius = 3.5, MaxRadius = 4.5, MinSeparation = 9, Margin = 5, EdgeWidth = 0.6;
    /// <summary>The smallest grid the blobs fit in.</summary>
    public const int MinSize = 24;

    private const int SourceSalt = 1, TargetSalt = 2, SourceSegSalt = 3, TargetSegSalt = 4, TestSalt = 1000;

    /// <summary>Unit stripe directions (i, j, k) of the six textures.</summary>
    private static readonly double[][] Directions =
    [
        [1, 0, 0], [0, 1, 0], [0, 0, 1],
        [Math.Sqrt(0.5), Math.Sqrt(0.5), 0], [Math.Sqrt(0.5), 0, Math.Sqrt(0.5)], [0, Math.Sqrt(0.5), Math.Sqrt(0.5)],
    ];

    public static bool IsAxisAligned(int texture) => texture is >= 0 and < 3;

    public static double[,] Affine => new double[,]
    {
        { Spacing[0], 0, 0, Origin[0] },
        { 0, Spacing[1], 0, Origin[1] },
        { 0, 0, Spacing[2], Origin[2] },
        { 0, 0, 0, 1 },
    };

    /// <summary>
    /// Writes the chosen tasks under <paramref name="outDir"/>, each an MSD dataset with imagesTr
    /// (labelsTr for segmentation) and a dataset.json: <c>source/</c>, <c>source_seg/</c>,
    /// <c>target/</c>, <c>target_seg/</c>. <paramref name="testCases"/> more cases per task, drawn
    /// independently of the training cases, go to imagesTs (labelsTs) and are listed under
    /// "test" with their labels. Every file is written atomically.
    /// </summary>
    /// <param name="cases">Training cases per task; null for the defaults (source 600, target 80).</param>
    public static IReadOnlyDictionary<string, DemoTaskReport> Write(string outDir, DemoTask task, int? cases, int[] size, long seed,
        int threads = 0, int testCases = 0)
    {
        if (cases is < 2) throw new ArgumentException($"{cases} cases: each task needs at least 2 cases (one per class)");
        if (testCases < 0) throw new ArgumentException($"{testCases} test cases: expected 0 or more");
        CheckSize(size);
        var reports = new Dictionary<string, DemoTaskReport>();
        if (task is DemoTask.Source or DemoTask.Both)
        {
            int n = cases ?? DefaultSourceCases;
            reports["source"] = WriteTask(outDir, "source", n, testCases, seed, size, threads, CaseKind.Source,
                "TTL demo source: stripe orientation majority", "three striped blobs on noisy tissue; class = most blobs have axis-aligned stripes",
                new() { ["0"] = "mostly oblique", ["1"] = "mostly axis-aligned" });
            reports["source_seg"] = WriteTask(outDir, "source_seg", n, testCases, seed, size, threads, CaseKind.SourceSeg,
                "TTL demo source segmentation: axis-aligned blobs", "three striped blobs on noisy tissue; label 1 = blobs with axis-aligned stripes",
                new() { ["0"] = "background", ["1"] = "axis-aligned blob" });
        }
        if (task is DemoTask.Target or DemoTask.Both)
        {
            int n = cases ?? DefaultTargetCases;
            reports["target"] = WriteTask(outDir, "target", n, testCases, seed, size, threads, CaseKind.Target,
                "TTL demo target: lesion texture", "three striped blobs on noisy tissue; class = one blob has stripes along j (the lesion)",
                new() { ["0"] = "no lesion", ["1"] = "lesion" });
            reports["target_seg"] = WriteTask(outDir, "target_seg", n, testCases, seed, size, threads, CaseKind.TargetSeg,
                "TTL demo target segmentation: lesion", "three striped blobs on noisy tissue, one of them the lesion (stripes along j); label 1 = lesion",
                new() { ["0"] = "background", ["1"] = "lesion" });
        }
        return reports;
    }

    private enum CaseKind { Source, Target, SourceSeg, TargetSeg }

    /// <summary>Case <paramref name="index"/> of a task's training cases, or of its test cases.</summary>
    private static DemoCase Make(CaseKind kind, int index, long seed, int[] size, bool test) => kind switch
    {
        CaseKind.Source => Source(index, seed, size, test),
        CaseKind.Target => Target(index, seed, size, test),
        CaseKind.SourceSeg => SourceSegmentation(index, seed, size, test),
        _ => TargetSegmentation(index, seed, size, test),
    };

    private static int Salt(CaseKind kind, bool test) => (kind switch
    {
        CaseKind.Source => SourceSalt,
        CaseKind.Target => TargetSalt,
        CaseKind.SourceSeg => SourceSegSalt,
        _ => TargetSegSalt,
    }) + (test ? TestSalt : 0);

    private static string Prefix(CaseKind kind) => kind switch
    {
        CaseKind.Source => "source",
        CaseKind.Target => "target",
        CaseKind.SourceSeg => "source_seg",
        _ => "target_seg",
    };

    /// <summary>Case <paramref name="index"/> of the source task (or of its independent test cases).</summary>
    public static DemoCase Source(int index, long seed, int[] size, bool test = false)
    {
        CheckSize(size);
        int salt = Salt(CaseKind.Source, test);
        int label = ClassOf(index, seed, salt);
        var rng = CaseRandom(seed, salt, index);
        // Axis-aligned blobs among three, given the class: P(3 | 1) = P(0 | 0) = 1/4, as for textures drawn uniformly.
        int axisAligned = label == 1 ? (rng.Next(4) == 0 ? 3 : 2) : (rng.Next(4) == 0 ? 0 : 1);
        var blobs = Blobs(rng, size, GroupTextures(rng, axisAligned));
        return new DemoCase(CaseId(CaseKind.Source, index, test), Render(rng, size, blobs), label, blobs, null);
    }

    /// <summary>Case <paramref name="index"/> of the target task (or of its independent test cases).</summary>
    public static DemoCase Target(int index, long seed, int[] size, bool test = false)
    {
        CheckSize(size);
        int salt = Salt(CaseKind.Target, test);
        int label = ClassOf(index, seed, salt);
        var rng = CaseRandom(seed, salt, index);
        var blobs = Blobs(rng, size, TargetTextures(rng, label == 1));
        return new DemoCase(CaseId(CaseKind.Target, index, test), Render(rng, size, blobs), label, blobs, null);
    }

    /// <summary>A source_seg case: source-like, with at least one axis-aligned blob, all of them labelled 1.</summary>
    public static DemoCase SourceSegmentation(int index, long seed, int[] size, bool test = false)
    {
        CheckSize(size);
        var rng = CaseRandom(seed, Salt(CaseKind.SourceSeg, test), index);
        // One, two or three axis-aligned blobs with the binomial weights 3 : 3 : 1 of uniform textures given at least one.
        int draw = rng.Next(7);
        int axisAligned = draw < 3 ? 1 : draw < 6 ? 2 : 3;
        var blobs = Blobs(rng, size, GroupTextures(rng, axisAligned));
        var image = Render(rng, size, blobs);
        return new DemoCase(CaseId(CaseKind.SourceSeg, index, test), image, 1, blobs, Mask(size, blobs.Where(b => b.AxisAligned)));
    }

    /// <summary>A target_seg case: a target case that always holds the lesion, which is labelled 1.</summary>
    public static DemoCase TargetSegmentation(int index, long seed, int[] size, bool test = false)
    {
        CheckSize(size);
        var rng = CaseRandom(seed, Salt(CaseKind.TargetSeg, test), index);
        var blobs = Blobs(rng, size, TargetTextures(rng, lesion: true));
        var image = Render(rng, size, blobs);
        return new DemoCase(CaseId(CaseKind.TargetSeg, index, test), image, 1, blobs, Mask(size, blobs.Where(b => b.Texture == LesionTexture)));
    }

    /// <summary>The class of case <paramref name="index"/>: each pair (2m, 2m + 1) holds classes 0 and 1 in a seeded order.</summary>
    public static int ClassOf(int index, long seed, int salt)
    {
        int first = SeedMix.Derive(SeedMix.Derive(seed, salt + 100), index / 2) & 1;
        return index % 2 == 0 ? first : 1 - first;
    }

    private static string CaseId(CaseKind kind, int index, bool test) => $"{Prefix(kind)}{(test ? "_test" : "")}_{index:D4}";

    private static Random CaseRandom(long seed, int salt, int index) => new(SeedMix.Derive(SeedMix.Derive(seed, salt), index));

    public static void CheckSize(int[] size)
    {
        if (size.Length != 3 || size.Any(s => s is < MinSize or > 512))
            throw new ArgumentException($"size {string.Join(",", size)}: three sizes between {MinSize} and 512 voxels are needed");
    }

    /// <summary><paramref name="axisAligned"/> axis-aligned textures and the rest oblique, each uniform within its group, in random order.</summary>
    private static int[] GroupTextures(Random rng, int axisAligned)
    {
        var t = new int[BlobsPerCase];
        for (int b = 0; b < t.Length; b++) t[b] = b < axisAligned ? rng.Next(3) : 3 + rng.Next(3);
        rng.Shuffle(t);
        return t;
    }

    /// <summary>Three textures uniform over all but the lesion's; with <paramref name="lesion"/> one of them, at random, is the lesion's.</summary>
    private static int[] TargetTextures(Random rng, bool lesion)
    {
        var t = new int[BlobsPerCase];
        for (int b = 0; b < t.Length; b++)
        {
            int k = rng.Next(Textures - 1);
            t[b] = k >= LesionTexture ? k + 1 : k;
        }
        if (lesion) t[rng.Next(t.Length)] = LesionTexture;
        return t;
    }

    /// <summary>Places one blob per texture: centres at least <see cref="MinSeparation"/> apart and <see cref="Margin"/> inside the grid.</summary>
    private static List<DemoBlob> Blobs(Random rng, int[] size, int[] textures)
    {
        // Rejection sampling restarts from scratch when a placement paints itself into a corner;
        // for grids of at least MinSize a layout is found within a few attempts.
        for (int attempt = 0; attempt < 10_000; attempt++)
        {
            var blobs = new List<DemoBlob>(textures.Length);
            for (int tries = 0; tries < 50 && blobs.Count < textures.Length; tries++)
            {
                var c = new double[3];
                for (int a = 0; a < 3; a++) c[a] = Margin + (size[a] - 1 - 2 * Margin) * rng.NextDouble();
                if (blobs.All(b => Distance(b.Centre, c) >= MinSeparation))
                    blobs.Add(new DemoBlob(c, MinRadius + (MaxRadius - MinRadius) * rng.NextDouble(), textures[blobs.Count]));
            }
            if (blobs.Count == textures.Length) return blobs;
        }
        throw new InvalidOperationException($"no layout of {textures.Length} blobs fits a {string.Join("x", size)} grid");
    }

    private static double Distance(double[] a, double[] b) =>
        Math.Sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));

    /// <summary>Tissue, two plane waves, white noise, then each blob's texture.</summary>
    private static float[] Render(Random rng, int[] size, IReadOnlyList<DemoBlob> blobs)
    {
        var image = new float[(long)size[0] * size[1] * size[2]];
        var waves = new (double Ki, double Kj, double Kk, double Phase, double Amplitude)[2];
        for (int w = 0; w < waves.Length; w++)
        {
            var d = RandomUnitVector(rng);
            double k = 2 * Math.PI / (16 + 24 * rng.NextDouble());
            waves[w] = (k * d[0], k * d[1], k * d[2], 2 * Math.PI * rng.NextDouble(), 5 + 7.5 * rng.NextDouble());
        }
        int v = 0;
        for (int i = 0; i < size[0]; i++)
            for (int j = 0; j < size[1]; j++)
                for (int k = 0; k < size[2]; k++, v++)
                {
                    double value = TissueHu + NoiseSd * Gaussian(rng);
                    foreach (var (ki, kj, kk, phase, amplitude) in waves) value += amplitude * Math.Cos(ki * i + kj * j + kk * k + phase);
                    image[v] = (float)value;
                }
        foreach (var blob in blobs) Paint(image, size, blob, 2 * Math.PI * rng.NextDouble());
        return image;
    }

    /// <summary>Adds a blob's texture, weighted by its soft edge, within the box where the weight is not negligible.</summary>
    private static void Paint(float[] image, int[] size, DemoBlob blob, double phase)
    {
        var n = Directions[blob.Texture];
        double reach = blob.Radius + 12 * EdgeWidth, omega = 2 * Math.PI / StripePeriod;
        var (lo, hi) = Box(size, blob.Centre, reach);
        for (int i = lo[0]; i <= hi[0]; i++)
            for (int j = lo[1]; j <= hi[1]; j++)
                for (int k = lo[2]; k <= hi[2]; k++)
                {
                    double d = Distance(blob.Centre, [i, j, k]);
                    double weight = 1 / (1 + Math.Exp((d - blob.Radius) / EdgeWidth));
                    image[((long)i * size[1] + j) * size[2] + k] += (float)(TextureHu * weight * Math.Cos(omega * (n[0] * i + n[1] * j + n[2] * k) + phase));
                }
    }

    /// <summary>Label 1 on the voxels within the radius of any of <paramref name="blobs"/>.</summary>
    private static byte[] Mask(int[] size, IEnumerable<DemoBlob> blobs)
    {
        var mask = new byte[(long)size[0] * size[1] * size[2]];
        foreach (var blob in blobs)
        {
            var (lo, hi) = Box(size, blob.Centre, blob.Radius);
            for (int i = lo[0]; i <= hi[0]; i++)
                for (int j = lo[1]; j <= hi[1]; j++)
                    for (int k = lo[2]; k <= hi[2]; k++)
                        if (Distance(blob.Centre, [i, j, k]) <= blob.Radius) mask[((long)i * size[1] + j) * size[2] + k] = 1;
        }
        return mask;
    }

    private static (int[] Lo, int[] Hi) Box(int[] size, double[] centre, double reach)
    {
        int[] lo = new int[3], hi = new int[3];
        for (int a = 0; a < 3; a++)
        {
            lo[a] = Math.Max(0, (int)Math.Floor(centre[a] - reach));
            hi[a] = Math.Min(size[a] - 1, (int)Math.Ceiling(centre[a] + reach));
        }
        return (lo, hi);
    }

    private static double[] RandomUnitVector(Random rng)
    {
        double x = Gaussian(rng), y = Gaussian(rng), z = Gaussian(rng), n = Math.Sqrt(x * x + y * y + z * z);
        return [x / n, y / n, z / n];
    }

    /// <summary>Standard normal by Box–Muller.</summary>
    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static DemoTaskReport WriteTask(string outDir, string name, int n, int testCases, long seed, int[] size, int threads, CaseKind kind,
        string title, string description, JsonObject labels)
    {
        string dir = Path.Combine(outDir, name);
        bool segmentation = kind is CaseKind.SourceSeg or CaseKind.TargetSeg;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        var training = new JsonNode?[n];
        var test = new JsonNode?[testCases];
        Parallel.For(0, n + testCases, options, at =>
        {
            bool isTest = at >= n;
            int index = isTest ? at - n : at;
            var c = Make(kind, index, seed, size, isTest);
            string images = isTest ? "imagesTs" : "imagesTr", labelsDir = isTest ? "labelsTs" : "labelsTr";
            WriteNifti(new Volume(c.Image, 1, size, Affine), Path.Combine(dir, images, c.Id + ".nii.gz"), NiftiDataType.Float32);
            var entry = new JsonObject { ["image"] = $"./{images}/{c.Id}.nii.gz" };
            if (segmentation)
            {
                var mask = new float[c.Mask!.Length];
                for (int v = 0; v < mask.Length; v++) mask[v] = c.Mask[v];
                WriteNifti(new Volume(mask, 1, size, Affine), Path.Combine(dir, labelsDir, c.Id + ".nii.gz"), NiftiDataType.UInt8);
                entry["label"] = $"./{labelsDir}/{c.Id}.nii.gz";
            }
            else entry["label"] = c.Label;
            if (isTest) test[index] = entry;
            else training[index] = entry;
        });
        string path = WriteDatasetJson(dir, title, description, labels, new JsonArray(training), new JsonArray(test));
        return new DemoTaskReport(n, testCases, path);
    }

    private static void WriteNifti(Volume v, string path, NiftiDataType type)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NiftiWriter.Write(v, path, new NiftiWriteOptions { DataType = type, Threads = 1 });
    }

    private static string WriteDatasetJson(string dir, string name, string description, JsonObject labels, JsonArray training, JsonArray test)
    {
        var doc = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["reference"] = "synthetic, generated by ttl demo-data (docs/demo.md)",
            ["tensorImageSize"] = "3D",
            ["modality"] = new JsonObject { ["0"] = "CT" },
            ["labels"] = labels,
            ["numTraining"] = training.Count,
            ["numTest"] = test.Count,
            ["training"] = training,
            ["test"] = test,
        };
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "dataset.json");
        RunFiles.WriteText(path, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }
}
