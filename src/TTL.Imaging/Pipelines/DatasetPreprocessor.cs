using System.Text.Json;
using System.Text.Json.Nodes;
using TTL.Imaging.Datasets;
using TTL.Imaging.Intensity;
using TTL.Imaging.Pipelines.Transforms;

namespace TTL.Imaging.Pipelines;

/// <summary>What a preprocessing run did; <see cref="CpuSteps"/> names steps that ran on the CPU although a GPU was given.</summary>
public sealed record PreprocessReport(int Cases, int CacheHits, int CacheMisses, string PipelineHash, bool RandomStepsApplied,
    IReadOnlyList<string> Outputs, string ResolvedPipeline, IReadOnlyList<string> CpuSteps);

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
    /// <summary>
    /// The cases of a dataset description (see <see cref="DatasetReader"/>: training cases, then
    /// test cases), or, for a folder without a dataset.json, every .nii / .nii.gz file in it as an
    /// image-only case.
    /// </summary>
    public static IReadOnlyList<DatasetCase> Discover(string data)
    {
        if (Directory.Exists(data) && !File.Exists(Path.Combine(data, "dataset.json")))
        {
            var files = Directory.EnumerateFiles(data)
                .Where(f => f.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new InvalidDataException($"{data}: no .nii or .nii.gz files and no dataset.json");
            return files.Select(f => new DatasetCase(DatasetReader.CaseId(f), [f])).ToList();
        }
        var d = DatasetReader.Open(data);
        var cases = d.Training.Concat(d.Test).ToList();
        foreach (var c in cases)
        {
            foreach (var f in CaseLoader.Files(c))
                if (f is not null && !File.Exists(f)) throw new InvalidDataException($"{f}: listed in {Path.GetFileName(d.Source)} but does not exist");
        }
        return cases;
    }

    private static bool IsTraining(DatasetCase c) => c.Split != "test";

    /// <summary>
    /// Fills in dataset statistics that steps left open (ct_normalize without numbers) from the
    /// training cases' foreground, after the steps that precede them.
    /// </summary>
    public static Pipeline Resolve(Pipeline pipeline, IReadOnlyList<DatasetCase> cases, PipelineCache? cache = null, PipelineRunner? runner = null)
    {
        runner ??= PipelineRunner.Cpu;
        var steps = pipeline.Steps.ToList();
        for (int n = 0; n < steps.Count; n++)
        {
            if (steps[n] is not CtNormalizeTransform { Stats: null }) continue;
            var before = new Pipeline(steps.Take(n).ToList());
            if (before.DeterministicCount != n) throw new InvalidDataException("ct_normalize must come before any random step to be computed from the dataset");
            var stats = new DatasetIntensityStatistics();
            foreach (var c in cases.Where(c => IsTraining(c) && c.LabelFile is not null))
            {
                // Through the cache, so a second run does not redo the steps before ct_normalize.
                var s = cache is null ? runner.ApplyDeterministic(before, CaseLoader.Load(c)) : cache.GetOrCompute(before, c, () => CaseLoader.Load(c), runner).Sample;
                stats.Add(s.Image, s.Label!);
            }
            if (stats.Cases == 0) throw new InvalidDataException("ct_normalize needs training cases with labels to compute its statistics");
            steps[n] = new CtNormalizeTransform(stats.Compute());
        }
        return new Pipeline(steps);
    }

    /// <summary>Runs the pipeline over the cases on <paramref name="runner"/>'s device (default: the CPU).</summary>
    public static PreprocessReport Run(IReadOnlyList<DatasetCase> cases, Pipeline pipeline, string outDir, string cacheDir,
        bool applyRandom, long seed, Action<string>? progress = null, PipelineRunner? runner = null)
    {
        runner ??= PipelineRunner.Cpu;
        pipeline = Resolve(pipeline, cases, new PipelineCache(cacheDir), runner);
        Directory.CreateDirectory(outDir);
        var cache = new PipelineCache(cacheDir);
        var outputs = new List<string>();
        var entries = new JsonArray();
        var tests = new JsonArray();
        foreach (var c in cases)
        {
            var (sample, hit) = cache.GetOrCompute(pipeline, c, () => CaseLoader.Load(c), runner);
            if (applyRandom) sample = runner.ApplyRandom(pipeline, sample, seed);
            string imgRel = Path.Combine(IsTraining(c) ? "imagesTr" : "imagesTs", c.Id + ".nii.gz");
            Write(sample.Image, Path.Combine(outDir, imgRel), NiftiDataType.Float32);
            outputs.Add(imgRel);
            if (sample.Label is not null)
            {
                string labRel = Path.Combine("labelsTr", c.Id + ".nii.gz");
                Write(sample.Label, Path.Combine(outDir, labRel), NiftiDataType.Int16);
                outputs.Add(labRel);
                entries.Add(new JsonObject { ["image"] = "./" + imgRel, ["label"] = "./" + labRel });
            }
            else if (c.ClassLabel is int cls) entries.Add(new JsonObject { ["image"] = "./" + imgRel, ["label"] = cls });
            else if (IsTraining(c)) entries.Add(new JsonObject { ["image"] = "./" + imgRel });
            else tests.Add("./" + imgRel);
            progress?.Invoke($"{c.Id}: {(hit ? "cached" : "computed")}");
        }
        string yaml = pipeline.ToYaml();
        WriteText(Path.Combine(outDir, "pipeline.yaml"), yaml);
        var ds = new JsonObject { ["training"] = entries, ["test"] = tests, ["pipeline"] = "pipeline.yaml", ["pipeline_hash"] = pipeline.DeterministicHash() };
        WriteText(Path.Combine(outDir, "dataset.json"), ds.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var cpuSteps = applyRandom ? runner.CpuSteps(pipeline) : runner.CpuSteps(new Pipeline(pipeline.DeterministicSteps.ToList()));
        return new PreprocessReport(cases.Count, cache.Hits, cache.Misses, pipeline.DeterministicHash(), applyRandom, outputs, yaml, cpuSteps);
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
