using System.Diagnostics;

namespace TTL.TestSupport;

/// <summary>Result of running the built `ttl` executable as a separate process.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the `ttl` CLI (the TTL.Cli build output) the way scripts do: a separate process.</summary>
public static class Cli
{
    public static string Dll
    {
        get
        {
            // Test projects reference TTL.Cli, so ttl.dll sits next to the test assembly.
            string local = Path.Combine(AppContext.BaseDirectory, "ttl.dll");
            if (File.Exists(local)) return local;
            throw new InvalidOperationException("ttl.dll not found next to the test assembly; reference TTL.Cli from the test project");
        }
    }

    public static CliResult Run(params string[] args) => Run(null, args);

    public static CliResult Run(IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new CliResult(p.ExitCode, stdout, errTask.Result);
    }
}
