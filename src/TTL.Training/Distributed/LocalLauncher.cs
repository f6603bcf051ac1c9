using System.Diagnostics;

namespace TTL.Training.Distributed;

/// <summary>
/// `--nproc N`: starts N copies of this very command on this machine as ranks 0..N−1 of one job,
/// with the variables torchrun would set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
/// MASTER_ADDR=127.0.0.1, a free MASTER_PORT). Rank 0's stdout becomes ours; every rank's stderr
/// is forwarded, other ranks' lines prefixed "[rank r] ". When one rank fails the others are given
/// a grace period to notice (their collectives fail) and are then killed, and the first failure's
/// exit code is returned, so a broken job never leaves processes behind.
/// </summary>
public static class LocalLauncher
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(15);

    /// <summary>Set for the ranks this launcher starts: its process id, which they watch.</summary>
    public const string LauncherPidVariable = "TTL_LAUNCHER_PID";

    /// <param name="childArgs">The command line for each rank (without --nproc).</param>
    public static int Run(int nproc, IReadOnlyList<string> childArgs, TextWriter stdout, TextWriter stderr)
    {
        if (nproc < 1) throw new LaunchException($"--nproc {nproc}: expected at least 1");
        int port = TTL.Torch.Distributed.TcpStore.FreeLoopbackPort();
        var (exe, prefix) = SelfCommand();
        var children = new Process[nproc];
        var forwarders = new List<Task>();
        var output = new object();
        try
        {
            for (int rank = 0; rank < nproc; rank++)
            {
                var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in prefix.Concat(childArgs)) psi.ArgumentList.Add(a);
                psi.Environment["RANK"] = rank.ToString();
                psi.Environment["LOCAL_RANK"] = rank.ToString();
                psi.Environment["WORLD_SIZE"] = nproc.ToString();
                psi.Environment["LOCAL_WORLD_SIZE"] = nproc.ToString();
                psi.Environment["MASTER_ADDR"] = "127.0.0.1";
                psi.Environment["MASTER_PORT"] = port.ToString();
                psi.Environment[LauncherPidVariable] = Environment.ProcessId.ToString();
                var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start rank {rank}");
                children[rank] = p;
                int r = rank;
                forwarders.Add(Forward(p.StandardError, stderr, r == 0 ? "" : $"[rank {r}] ", output));
                forwarders.Add(r == 0 ? Forward(p.StandardOutput, stdout, "", output) : p.StandardOutput.BaseStream.CopyToAsync(Stream.Null));
            }
            return Supervise(children, stderr, output);
        }
        finally
        {
            foreach (var p in children) if (p is not null) Kill(p);
            Task.WaitAll([.. forwarders], TimeSpan.FromSeconds(5));
            foreach (var p in children) p?.Dispose();
        }
    }

    private static int Supervise(Process[] children, TextWriter stderr, object output)
    {
        DateTime? deadline = null;
        bool stopped = false;
        while (!children.All(p => p.HasExited))
        {
            if (deadline is null && children.Any(p => p.HasExited && p.ExitCode != 0)) deadline = DateTime.UtcNow + Grace;
            if (deadline is DateTime d && DateTime.UtcNow > d)
            {
                lock (output) stderr.WriteLine($"error: a rank failed {Grace.TotalSeconds:0} s ago; stopping the ranks still running");
                foreach (var p in children) Kill(p);
                stopped = true;
                break;
            }
            Thread.Sleep(50);
        }
        foreach (var p in children) p.WaitForExit();
        // A rank killed by a signal (not by us) could not say so itself.
        for (int r = 0; r < children.Length; r++)
            if (children[r].ExitCode > 128 && !(stopped && children[r].ExitTime >= deadline!.Value.ToLocalTime()))
                lock (output) stderr.WriteLine($"error: rank {r} was killed by signal {children[r].ExitCode - 128}");
        // The job's code is that of the rank that failed first (the others usually fail because of it).
        var first = children.Where(p => p.ExitCode != 0).OrderBy(p => p.ExitTime).FirstOrDefault();
        return first?.ExitCode ?? 0;
    }

    private static Task Forward(StreamReader from, TextWriter to, string prefix, object gate) => Task.Run(async () =>
    {
        while (await from.ReadLineAsync() is string line)
            lock (gate) to.WriteLine(prefix + line);
        lock (gate) to.Flush();
    });

    private static void Kill(Process p)
    {
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    /// <summary>
    /// In a process started by a launcher (this one's ranks, the demo's trainings): exits this
    /// process when the launcher is gone (killed with SIGKILL it cannot stop its children itself),
    /// so no child outlives its job.
    /// </summary>
    public static void WatchLauncher()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(LauncherPidVariable), out int pid)) return;
        string proc = $"/proc/{pid}";
        if (!Directory.Exists(proc)) return; // not Linux's /proc: nothing to watch with
        new Thread(() =>
        {
            // A parent that exits reparents us: compare the parent id too, in case the pid is reused.
            while (Directory.Exists(proc) && ParentPid() == pid) Thread.Sleep(1000);
            string? rank = Environment.GetEnvironmentVariable("RANK");
            Console.Error.WriteLine($"error: {(rank is null ? "" : $"rank {rank}: ")}the launcher (pid {pid}) is gone; stopping");
            Environment.Exit(1);
        }) { IsBackground = true, Name = "ttl-launcher-watch" }.Start();
    }

    private static int ParentPid()
    {
        try
        {
            // /proc/self/stat: "pid (comm) state ppid …"; comm may hold spaces, so count from the last ')'.
            string stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1]);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException) { return -1; }
    }

    /// <summary>This process's own arguments without <c>--nproc N</c> / <c>--nproc=N</c>: each rank's command line.</summary>
    public static string[] ChildArguments()
    {
        var args = Environment.GetCommandLineArgs().Skip(1).ToList();
        var result = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--nproc") { i++; continue; }
            if (args[i].StartsWith("--nproc=", StringComparison.Ordinal)) continue;
            result.Add(args[i]);
        }
        return [.. result];
    }

    /// <summary>How to start this program again: the apphost itself, or `dotnet ttl.dll`.</summary>
    public static (string Exe, string[] Prefix) SelfCommand()
    {
        string exe = Environment.ProcessPath ?? "dotnet";
        bool viaDotnet = Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        string? entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        return viaDotnet && !string.IsNullOrEmpty(entry) ? (exe, [entry]) : (exe, []);
    }
}
