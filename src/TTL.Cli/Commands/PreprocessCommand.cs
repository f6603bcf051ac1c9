using System.CommandLine;
using TTL.Imaging.Compute;
using TTL.Imaging.Pipelines;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl preprocess --data DIR|dataset.json --pipeline FILE.yaml --out DIR`: runs a preprocessing
/// pipeline over a dataset with the deterministic part cached on disk.
/// </summary>
public static class PreprocessCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "a folder of .nii/.nii.gz images, or an MSD dataset.json (training image/label pairs, test images)", Required = true };
        var pipeline = new Option<string>("--pipeline") { Description = "pipeline YAML: a 'transforms' list of named steps", Required = true };
        var output = new Option<string>("--out") { Description = "output folder (imagesTr, labelsTr, imagesTs, pipeline.yaml, dataset.json)", Required = true };
        var cache = new Option<string?>("--cache") { Description = "cache folder for deterministic results (default: OUT/.cache)" };
        var augment = new Option<bool>("--augment") { Description = "also apply the random steps once per case, seeded by --seed (normally they run at training time)" };
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("preprocess", "apply a preprocessing pipeline to a dataset; images interpolate linearly (or as the step says), labels nearest; deterministic steps are cached")
            { data, pipeline, output, cache, augment, threads, seed, device, json, quiet };
        cmd.SetAction(pr =>
        {
            int t = pr.GetValue(threads);
            if (t < 1) throw new UsageException("--threads must be at least 1");
            Parallelism.MaxThreads = t;
            string outDir = pr.GetValue(output)!;
            var cases = DatasetPreprocessor.Discover(pr.GetValue(data)!);
            var p = Pipeline.Load(pr.GetValue(pipeline)!);
            bool quietRun = pr.GetValue(quiet) || pr.GetValue(json) || Console.IsErrorRedirected;
            // The steps run on the device (TTL.Imaging.Cuda) with the CPU's definitions; steps
            // without a GPU form run on the CPU, and the report names them.
            using var dev = DeviceChoice.Open(pr.GetValue(device)!, Console.Error);
            var runner = dev.Gpu is null ? PipelineRunner.Cpu : PipelineRunner.On(dev.Gpu);
            var report = DatasetPreprocessor.Run(cases, p, outDir, pr.GetValue(cache) ?? Path.Combine(outDir, ".cache"),
                pr.GetValue(augment), pr.GetValue(seed), quietRun ? null : msg => Console.Error.WriteLine(msg), runner);
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new
                {
                    cases = report.Cases,
                    cache_hits = report.CacheHits,
                    cache_misses = report.CacheMisses,
                    pipeline_hash = report.PipelineHash,
                    random_steps_applied = report.RandomStepsApplied,
                    outputs = report.Outputs,
                    device = dev.Name,
                    cpu_steps = report.CpuSteps,
                });
            else
                Console.WriteLine($"{report.Cases} case(s) → {outDir}: {report.CacheMisses} computed, {report.CacheHits} from cache; pipeline {report.PipelineHash[..12]}"
                    + (report.RandomStepsApplied ? ", random steps applied" : "") + $"; on {dev.Name}"
                    + (report.CpuSteps.Count > 0 ? $" ({string.Join(", ", report.CpuSteps)} on the CPU)" : ""));
            return CliApp.Ok;
        });
        return cmd;
    }
}
