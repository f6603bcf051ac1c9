using System.CommandLine;
using System.Globalization;
using TTL.Training.Demo;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl demo-data OUT_DIR`: writes the synthetic source (stripe orientation majority) and target
/// (lesion texture) tasks of the demo, each for classification and segmentation, as NIfTI with MSD
/// dataset.json files; see <see cref="DemoData"/> and docs/demo.md for the generative model.
/// </summary>
public static class DemoDataCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("OUT_DIR") { Description = "output folder: source/, source_seg/, target/ and target_seg/, each with imagesTr (labelsTr) and dataset.json" };
        var task = new Option<string>("--task") { Description = "source, target or both", DefaultValueFactory = _ => "both" };
        var cases = new Option<int?>("--cases") { Description = $"cases per task (default: source {DemoData.DefaultSourceCases}, target {DemoData.DefaultTargetCases})" };
        var test = new Option<int>("--test") { Description = "labelled held-out cases per task, drawn independently (imagesTs, listed under \"test\" with their labels)", DefaultValueFactory = _ => 0 };
        var size = new Option<string>("--size") { Description = $"volume size in voxels along i,j,k ({DemoData.MinSize}..512 each)", DefaultValueFactory = _ => string.Join(",", DemoData.DefaultSize) };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var cmd = new Command("demo-data", "write a synthetic NIfTI dataset: a source task (are most striped blobs axis-aligned?) and a target task (is the lesion texture present?), each with a segmentation variant; 2 mm voxels")
            { output, task, cases, test, size, seed, threads, json };
        cmd.SetAction(pr =>
        {
            var which = pr.GetValue(task) switch
            {
                "source" => DemoTask.Source,
                "target" => DemoTask.Target,
                "both" => DemoTask.Both,
                var other => throw new UsageException($"--task {other}: expected source, target or both"),
            };
            int? n = pr.GetValue(cases);
            if (n is < 2) throw new UsageException($"--cases {n}: each task needs at least 2 cases (one per class)");
            int[] shape = ParseSize(pr.GetValue(size)!);
            int t = pr.GetValue(threads);
            if (pr.GetValue(test) < 0) throw new UsageException($"--test {pr.GetValue(test)}: expected 0 or more");
            if (t < 1) throw new UsageException("--threads must be at least 1");
            string outDir = Path.GetFullPath(pr.GetValue(output)!);
            if (File.Exists(outDir)) throw new UsageException($"{outDir}: is a file, expected a folder");
            var tasks = DemoData.Write(outDir, which, n, shape, pr.GetValue(seed), t, pr.GetValue(test));
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new
                {
                    @out = outDir,
                    tasks = tasks.ToDictionary(kv => kv.Key, kv => new { cases = kv.Value.Cases, test_cases = kv.Value.TestCases, dataset = kv.Value.Dataset }),
                });
            else
                foreach (var (name, r) in tasks) Console.WriteLine($"{name}: {r.Cases} cases{(r.TestCases > 0 ? $" + {r.TestCases} test" : "")}, {r.Dataset}");
            return CliApp.Ok;
        });
        return cmd;
    }

    private static int[] ParseSize(string text)
    {
        var parts = text.Split(',');
        var size = new int[parts.Length];
        for (int a = 0; a < parts.Length; a++)
            if (!int.TryParse(parts[a].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out size[a]))
                throw new UsageException($"--size {text}: expected three integers I,J,K");
        if (size.Length != 3 || size.Any(s => s is < DemoData.MinSize or > 512))
            throw new UsageException($"--size {text}: expected three sizes between {DemoData.MinSize} and 512 voxels");
        return size;
    }
}
