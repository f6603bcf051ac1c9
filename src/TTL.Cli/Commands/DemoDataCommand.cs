using System.CommandLine;
using System.Globalization;
using TTL.Training.Demo;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl demo-data OUT_DIR`: writes the synthetic source (blob shapes) and target (textured lesions)
/// tasks of the demo as NIfTI with MSD dataset.json files; see <see cref="DemoData"/> for the model.
/// </summary>
public static class DemoDataCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("OUT_DIR") { Description = "output folder: source/, target/ and target_seg/, each with imagesTr (labelsTr) and dataset.json" };
        var task = new Option<string>("--task") { Description = "source, target or both", DefaultValueFactory = _ => "both" };
        var cases = new Option<int?>("--cases") { Description = $"cases per task (default: source {DemoData.DefaultSourceCases}, target {DemoData.DefaultTargetCases})" };
        var size = new Option<string>("--size") { Description = "volume size in voxels along i,j,k (16..512 each)", DefaultValueFactory = _ => string.Join(",", DemoData.DefaultSize) };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var cmd = new Command("demo-data", "write a synthetic NIfTI dataset: a source task (round vs elongated blobs) and a target task (textured lesion present or not, with lesion masks), 1x1x2 mm voxels")
            { output, task, cases, size, seed, threads, json };
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
            if (t < 1) throw new UsageException("--threads must be at least 1");
            string outDir = Path.GetFullPath(pr.GetValue(output)!);
            if (File.Exists(outDir)) throw new UsageException($"{outDir}: is a file, expected a folder");
            var tasks = DemoData.Write(outDir, which, n, shape, pr.GetValue(seed), t);
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new
                {
                    @out = outDir,
                    tasks = tasks.ToDictionary(kv => kv.Key, kv => new { cases = kv.Value.Cases, dataset = kv.Value.Dataset }),
                });
            else
                foreach (var (name, r) in tasks) Console.WriteLine($"{name}: {r.Cases} cases, {r.Dataset}");
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
        if (size.Length != 3 || size.Any(s => s is < 16 or > 512))
            throw new UsageException($"--size {text}: expected three sizes between 16 and 512 voxels");
        return size;
    }
}
