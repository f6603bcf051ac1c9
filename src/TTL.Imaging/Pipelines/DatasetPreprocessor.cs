using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.Imaging.Intensity;
using TTL.Imaging.Pipelines.Transforms;

namespace TTL.Imaging.Pipelines;

/// <summary>One input case: an image file, optionally its label file, and whether it is for training.</summary>
public sealed record DatasetCase(string Id, string Image, string? Label, bool Training);

/// <summary>What a preprocessing run did.</summary>
public sealed record PreprocessReport(int Cases, int CacheHits, int CacheMisses, string PipelineHash, bool RandomStepsApplied,
    IReadOnlyList<string> Outputs, string ResolvedPipeline);

/// <summary>
/// Applies a pipeline to a dataset: a folder of NIfTI files (images only) or an MSD
/// <c>dataset.json</c> (training image/label pairs, test images). Images go through the pipeline
/// with their own interpolator, labels with nearest. The deterministic part is cached; the random
/// part runs only when asked (it normally runs at training time). Outputs follow the MSD layout
/// (imagesTr, labelsTr, imagesTs) next to the resolved pipeline.yaml and a dataset.json, each file
/// written under a temporary name and renamed.
/// </summary>
public static class DatasetPreprocessor
{
    public static IReadOnlyList<DatasetCase> Discover(string data)
    {
        if (File.Exists(data) && data.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return FromDatasetJson(data);
        if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"{data}: neither a folder nor a dataset.json");
        var files = Directory.EnumerateFiles(data)
            .Where(f => f.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{data}: no .nii or .nii.gz files");
        return files.Select(f => new DatasetCase(CaseId(f), f, null, Training: true)).ToList();
    }

    public static string CaseId(string path)
    {
        string name = Path.GetFileName(path);
        foreach (var ext in new[] { ".nii.gz", ".nii" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return name[..^ext.Length];
        return Path.GetFileNameWithoutExtension(name);
    }

    private static List<DatasetCase> FromDatasetJson(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string p) => Path.GetFullPath(Path.Combine(dir, p));
        var cases = new List<DatasetCase>();
        if (root?["training"] is JsonArray training)
            foreach (var e in training)
            {
                string? img = e?["image"]?.GetValue<string>();
                if (img is null) throw new InvalidDataException($"{path}: a training entry has no \"image\"");
                string? lab = e?["label"]?.GetValue<string>();
                cases.Add(new DatasetCase(CaseId(img), Resolve(img), lab is null ? null : Resolve(lab), true));
            }
        if (root?["test"] is JsonArray test)
            foreach (var e in test)
            {
                string? img = e is JsonValue v ? v.GetValue<string>() : e?["image"]?.GetValue<string>();
                if (img is null) throw new InvalidDataException($"{path}: a test entry has no image path");
                cases.Add(new DatasetCase(CaseId(img), Resolve(img), null, false));
            }
        if (cases.Count == 0) throw new InvalidDataException($"{path}: no \"training\" or \"test\" cases");
        foreach (var c in cases)
        {
            if (!File.Exists(c.Image)) throw new InvalidDataException($"{path}: {c.Image} does not exist");
            if (c.Label is not null && !File.Exists(c.Label)) throw new InvalidDataException($"{path}: {c.Label} does not exist");
        }
        var dup = cases.GroupBy(c => (c.Id, c.Training)).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"{path}: case name '{dup.Key.Id}' occurs twice");
        return cases;
    }

    private static Sample Load(DatasetCase c)
    {
        var image = NiftiReader.Read(c.Image);
        var label = c.Label is null ? null : NiftiReader.Read(c.Label);
        if (label is not null && !label.Shape.SequenceEqual(image.Shape))
            throw new InvalidDataException($"{c.Label}: shape {string.Join('×', label.Shape)} differs from its image's {string.Join('×', image.Shape)}");
        return new Sample(image, label, c.Id);
    }

    /// <summary>
    /// Fills in dataset statistics that steps left open (ct_normalize without numbers) from the
    /// training cases' foreground, after the steps that precede them.
    /// </summary>
    public static Pipeline Resolve(Pipeline pipeline, IReadOnlyList<DatasetCase> cases, PipelineCache? cache = null)
    {
        var steps = pipeline.Steps.ToList();
        for (int n = 0; n < steps.Count; n++)
        {
            if (steps[n] is not CtNormalizeTransform { Stats: null }) continue;
            var before = new Pipeline(steps.Take(n).ToList());
            if (before.DeterministicCount != n) throw new InvalidDataException("ct_normalize must come before any random step to be computed from the dataset");
            var stats = new DatasetIntensityStatistics();
            foreach (var c in cases.Where(c => c.Training && c.Label is not null))
            {
                // Through the cache, so a second run does not redo the steps before ct_normalize.
                var s = cache is null ? before.ApplyDeterministic(Load(c)) : cache.GetOrCompute(before, c.Image, c.Label, c.Id, () => Load(c)).Sample;
                stats.Add(s.Image, s.Label!);
            }
            if (stats.Cases == 0) throw new InvalidDataException("ct_normalize needs training cases with labels to compute its statistics");
            steps[n] = new CtNormalizeTransform(stats.Compute());
        }
        return new Pipeline(steps);
    }

    public static PreprocessReport Run(IReadOnlyList<DatasetCase> cases, Pipeline pipeline, string outDir, string cacheDir,
        bool applyRandom, long seed, Action<string>? progress = null)
    {
        pipeline = Resolve(pipeline, cases, new PipelineCache(cacheDir));
        Directory.CreateDirectory(outDir);
        var cache = new PipelineCache(cacheDir);
        var outputs = new List<string>();
        var entries = new JsonArray();
        var tests = new JsonArray();
        foreach (var c in cases)
        {
            var (sample, hit) = cache.GetOrCompute(pipeline, c.Image, c.Label, c.Id, () => Load(c));
            if (applyRandom) sample = pipeline.ApplyRandom(sample, seed);
            string imgRel = Path.Combine(c.Training ? "imagesTr" : "imagesTs", c.Id + ".nii.gz");
            Write(sample.Image, Path.Combine(outDir, imgRel), NiftiDataType.Float32);
            outputs.Add(imgRel);
            if (sample.Label is not null)
            {
                string labRel = Path.Combine("labelsTr", c.Id + ".nii.gz");
                Write(sample.Label, Path.Combine(outDir, labRel), NiftiDataType.Int16);
                outputs.Add(labRel);
                entries.Add(new JsonObject { ["image"] = "./" + imgRel, ["label"] = "./" + labRel });
            }
            else if (c.Training) entries.Add(new JsonObject { ["image"] = "./" + imgRel });
            else tests.Add("./" + imgRel);
            progress?.Invoke($"{c.Id}: {(hit ? "cached" : "computed")}");
        }
        string yaml = pipeline.ToYaml();
        WriteText(Path.Combine(outDir, "pipeline.yaml"), yaml);
        var ds = new JsonObject { ["training"] = entries, ["test"] = tests, ["pipeline"] = "pipeline.yaml", ["pipeline_hash"] = pipeline.DeterministicHash() };
        WriteText(Path.Combine(outDir, "dataset.json"), ds.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new PreprocessReport(cases.Count, cache.Hits, cache.Misses, pipeline.DeterministicHash(), applyRandom, outputs, yaml);
    }

    private static void Write(Volume v, string path, NiftiDataType type)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NiftiWriter.Write(v, path, new NiftiWriteOptions { DataType = type });
    }

    private static void WriteText(string path, string text)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
