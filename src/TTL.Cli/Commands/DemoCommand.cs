using System.CommandLine;
using System.Diagnostics;
using TTL.Training.Demo;
using TTL.Training.Distributed;

namespace TTL.Cli.Commands;

/// <summary>`ttl demo`: the end-to-end experiment that shows truncated transfer learning (see DemoRunner and docs/demo.md).</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "working folder (data, runs, report.md, report.html, results.json); an interrupted demo resumes there", DefaultValueFactory = _ => "ttl-demo" };
        var quick = new Option<bool>("--quick") { Description = "3 seeds, 400 test cases, truncation at the stage ends: under 10 minutes on 2 CPU cores (the full demo: 8 seeds, 1000 test cases, every cut)" };
        var task = new Option<string>("--task") { Description = "classification (ResNet, AUROC/AUPRC) or segmentation (U-Net, Dice/HD95; not with --quick)", DefaultValueFactory = _ => "classification" };
        var learnability = new Option<bool>("--learnability") { Description = "instead of the demo: train the demo's network from scratch on many cases of each task (--cases, 90 % training) and score it on --test held-out cases" };
        var cases = new Option<int>("--cases") { Description = "cases per task for --learnability", DefaultValueFactory = _ => 2000 };
        var testCases = new Option<int>("--test") { Description = "held-out cases per task for --learnability", DefaultValueFactory = _ => 400 };
        var epochs = new Option<int>("--epochs") { Description = "training epochs for --learnability", DefaultValueFactory = _ => 10 };
        var jobs = new Option<int?>("--jobs") { Description = "trainings run at the same time, each in its own process (default: one per core)" };
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("demo", "the end-to-end experiment: synthetic data, pretraining on the source task, every transfer strategy on a small target task over several seeds, statistics, report")
            { output, quick, task, learnability, cases, testCases, epochs, jobs, threads, seed, json, quiet };
        cmd.SetAction(pr =>
        {
            int t = pr.GetValue(threads);
            if (t < 1) throw new UsageException("--threads must be at least 1");
            int workers = pr.GetValue(jobs) ?? Math.Min(t, Environment.ProcessorCount);
            if (workers < 1) throw new UsageException("--jobs must be at least 1");
            var settings = pr.GetValue(task) switch
            {
                "classification" => pr.GetValue(quick) ? DemoSettings.Quick : DemoSettings.Full,
                "segmentation" when pr.GetValue(quick) => throw new UsageException("--quick is the classification demo; the segmentation demo has one setting"),
                "segmentation" => DemoSettings.SegmentationDemo,
                var other => throw new UsageException($"--task {other}: expected classification or segmentation"),
            };
            var log = pr.GetValue(quiet) || pr.GetValue(json) ? TextWriter.Null : Console.Error;
            var exec = new DemoExecution(SelfStart, workers, Math.Max(1, t / workers));
            if (pr.GetValue(learnability))
            {
                if (pr.GetValue(cases) < 20 || pr.GetValue(testCases) < 2 || pr.GetValue(epochs) < 1)
                    throw new UsageException("--learnability needs --cases of at least 20, --test of at least 2 and --epochs of at least 1");
                var rows = DemoRunner.Learnability(pr.GetValue(output)!, settings, pr.GetValue(cases), pr.GetValue(testCases), pr.GetValue(epochs), pr.GetValue(seed), exec, log);
                if (pr.GetValue(json))
                    CommonOptions.PrintJson(rows.Select(r => new { task = r.Task, train_cases = r.TrainCases, test_cases = r.TestCases, epochs = r.Epochs, test = r.Test, run = r.Run }));
                else
                    foreach (var r in rows)
                        Console.WriteLine($"{r.Task}: trained from scratch on {r.TrainCases} cases ({r.Epochs} epochs); test on {r.TestCases}: " +
                            string.Join(", ", r.Test.Select(kv => FormattableString.Invariant($"{kv.Key} {kv.Value:F4}"))));
                return CliApp.Ok;
            }
            var results = DemoRunner.Run(pr.GetValue(output)!, settings, pr.GetValue(seed), exec, log);
            string report = Path.Combine(Path.GetFullPath(pr.GetValue(output)!), "report.md");
            if (pr.GetValue(json))
                Console.WriteLine(File.ReadAllText(Path.Combine(Path.GetFullPath(pr.GetValue(output)!), "results.json")).TrimEnd());
            else
            {
                Console.Write(DemoReport.Table(results));
                Console.WriteLine($"report: {report} (and report.html)");
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>This `ttl` again, with the given arguments.</summary>
    private static ProcessStartInfo SelfStart(string[] args)
    {
        var (exe, prefix) = LocalLauncher.SelfCommand();
        var psi = new ProcessStartInfo(exe);
        foreach (var a in prefix.Concat(args)) psi.ArgumentList.Add(a);
        return psi;
    }
}
