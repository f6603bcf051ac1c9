using System.CommandLine;
using TTL.Training.Demo;

namespace TTL.Cli.Commands;

/// <summary>`ttl demo`: the end-to-end demonstration of truncated transfer learning (see DemoRunner).</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "working folder (data, runs, report.md); an interrupted demo resumes there", DefaultValueFactory = _ => "ttl-demo" };
        var quick = new Option<bool>("--quick") { Description = "smaller data, ResNet-10 and fewer epochs: under 10 minutes on 2 CPU cores" };
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("demo", "make demo data, pretrain on the source task, compare the transfer strategies on the target task, print the table, write a report")
            { output, quick, threads, seed, json, quiet };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(threads) < 1) throw new UsageException("--threads must be at least 1");
            var log = pr.GetValue(quiet) || pr.GetValue(json) ? TextWriter.Null : Console.Error;
            var rows = DemoRunner.Run(pr.GetValue(output)!, pr.GetValue(quick), pr.GetValue(threads), pr.GetValue(seed), log);
            string report = Path.Combine(Path.GetFullPath(pr.GetValue(output)!), "report.md");
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new
                {
                    report,
                    rows = rows.Select(r => new { strategy = r.Strategy, auroc = r.Auroc, auprc = r.Auprc, parameters = r.Parameters, latency_ms = r.LatencyMs, run = r.Run }),
                });
            else
            {
                Console.Write(DemoRunner.Table(rows));
                Console.WriteLine($"report: {report}");
            }
            return CliApp.Ok;
        });
        return cmd;
    }
}
