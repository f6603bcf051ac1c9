using System.Diagnostics;

namespace TTL.TestSupport;

/// <summary>
/// Runs the numerical oracles: small scripts under tests/oracles executed by Debian's python3,
/// which is where python3-torch, -nibabel, -scipy and -sklearn are installed.
/// </summary>
public static class Python
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs an oracle script and returns its stdout; a non-zero exit fails the test with stderr.</summary>
    public static string RunOracle(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Repo.Oracle(script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Same thread count on both sides keeps reductions comparable.
        psi.Environment["OMP_NUM_THREADS"] = "1";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string stderr = stderrTask.Result;
        if (p.ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"oracle {script} exited {p.ExitCode}:\n{stderr}");
        return stdout;
    }
}
