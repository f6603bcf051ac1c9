using System.Diagnostics;
using System.Globalization;

namespace TTL.Training.Demo;

/// <summary>
/// One unit of demo work: `ttl` command lines run one after the other in a child process each.
/// <see cref="Commands"/> is asked when the job starts (so a job can look at what earlier jobs
/// produced, such as a search's coarse results); a job whose <see cref="IsDone"/> holds is skipped,
/// which makes an interrupted demo resume where it stopped. <see cref="Cost"/> is a relative
/// estimate of its work (the progress line's time left is the remaining cost at the pace so far).
/// </summary>
public sealed record DemoJob(string Name, string Stage, double Cost, IReadOnlyList<string> DependsOn,
    Func<IReadOnlyList<string[]>> Commands, Func<bool> IsDone);

/// <summary>Raised when a job's command fails: names the job, the command and the end of its error output.</summary>
public sealed class DemoJobException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Runs demo jobs as child `ttl` processes, at most <c>workers</c> at a time, each job once all the
/// jobs it depends on have finished. Separate processes keep the runs independent (libtorch's
/// random generator and thread pool are per process) and let small networks use the cores better
/// than intra-op threads do. On the first failure no new job starts, the running ones finish, and
/// the failure is raised.
/// </summary>
public sealed class JobPool(Func<string[], ProcessStartInfo> startInfo, int workers, TextWriter log)
{
    private readonly object _gate = new();

    /// <summary>Every command line that ran, in start order (the report lists them).</summary>
    public List<string> CommandLog { get; } = new();

    public void Run(IReadOnlyList<DemoJob> jobs)
    {
        var byName = jobs.ToDictionary(j => j.Name);
        foreach (var j in jobs)
            foreach (var d in j.DependsOn)
                if (!byName.ContainsKey(d)) throw new ArgumentException($"job {j.Name} depends on unknown job {d}");
        var done = new HashSet<string>(jobs.Where(j => j.IsDone()).Select(j => j.Name));
        var pending = jobs.Where(j => !done.Contains(j.Name)).ToList();
        double totalCost = pending.Sum(j => j.Cost), doneCost = 0;
        int total = pending.Count, finished = 0;
        if (done.Count > 0) log.WriteLine($"demo: {done.Count} job(s) already done, {total} to run");
        var clock = Stopwatch.StartNew();
        var running = new List<(DemoJob Job, Task<Exception?> Task, Stopwatch Clock)>();
        Exception? failure = null;
        while (pending.Count > 0 || running.Count > 0)
        {
            while (failure is null && running.Count < workers && pending.FirstOrDefault(j => j.DependsOn.All(done.Contains)) is { } next)
            {
                pending.Remove(next);
                var watch = Stopwatch.StartNew();
                running.Add((next, Task.Run(() => Execute(next)), watch));
            }
            if (running.Count == 0)
            {
                if (failure is not null) break;
                throw new InvalidOperationException($"demo jobs wait on each other: {string.Join(", ", pending.Select(j => j.Name))}");
            }
            int k = Task.WaitAny(running.Select(r => (Task)r.Task).ToArray());
            var (job, task, jobClock) = running[k];
            running.RemoveAt(k);
            if (task.Result is { } e) { failure ??= e; continue; }
            done.Add(job.Name);
            finished++;
            doneCost += job.Cost;
            double left = doneCost > 0 ? clock.Elapsed.TotalSeconds / doneCost * (totalCost - doneCost) : double.NaN;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"demo: [{finished}/{total}] {job.Stage}: {job.Name} done in {jobClock.Elapsed.TotalSeconds:F0} s; {Duration(clock.Elapsed.TotalSeconds)} so far, about {Duration(left)} left"));
        }
        if (failure is not null) throw failure;
    }

    /// <summary>"1 min 05 s" or "42 s".</summary>
    public static string Duration(double seconds) =>
        !double.IsFinite(seconds) ? "?" : seconds >= 60
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)} min {(int)seconds % 60:D2} s")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(seconds):0} s");

    private Exception? Execute(DemoJob job)
    {
        try
        {
            foreach (var args in job.Commands())
            {
                var psi = startInfo(args);
                psi.RedirectStandardOutput = true;
                psi.RedirectStandardError = true;
                psi.UseShellExecute = false;
                // The child exits by itself if this process dies (a killed demo leaves no training behind to race its rerun).
                psi.Environment[TTL.Training.Distributed.LocalLauncher.LauncherPidVariable] = Environment.ProcessId.ToString();
                lock (_gate) CommandLog.Add("ttl " + string.Join(" ", args.Select(Quote)));
                using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start ttl for job {job.Name}");
                var stderr = p.StandardError.ReadToEndAsync();
                p.StandardOutput.BaseStream.CopyTo(Stream.Null);
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    return new DemoJobException($"demo job {job.Name} failed (exit {p.ExitCode}): ttl {string.Join(" ", args.Select(Quote))}: " +
                        string.Join(" | ", lines.TakeLast(3)), p.ExitCode);
                }
            }
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=,+".Contains(c)) ? a : $"'{a}'";
}
