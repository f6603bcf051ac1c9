using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// Runs a reference implementation for a bench: a Python script embedded in this assembly
/// (Commands/Bench/Scripts/*.py), executed by Debian's python3 (or the interpreter TTL_PYTHON
/// names: a GPU host's PyTorch with CUDA) with the same thread count as our side. The script
/// prints one JSON object on its last stdout line.
/// </summary>
public static class ReferenceScript
{
    public static string Interpreter => Environment.GetEnvironmentVariable("TTL_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    public static JsonElement Run(string script, int threads, params string[] args)
    {
        using var p = Process.Start(StartInfo(script, threads, args))!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"reference script {script} failed ({p.ExitCode}): {err.Result.Trim().Split('\n').LastOrDefault()}");
        string last = output.TrimEnd().Split('\n').Last();
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    /// <summary>How to start an embedded script: Debian's python3, the thread count in the usual variables.</summary>
    public static ProcessStartInfo StartInfo(string script, int threads, string[] args)
    {
        if (!File.Exists(Interpreter))
            throw new InvalidOperationException($"the reference needs {Interpreter} (Debian python3 with numpy/torch/nibabel/scipy; build/setup installs them)");
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Extract(script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        string t = threads.ToString();
        foreach (var v in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TTL_BENCH_THREADS" }) psi.Environment[v] = t;
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        return psi;
    }

    /// <summary>Writes the embedded script to a per-user cache folder (once per content) and returns its path.</summary>
    internal static string Extract(string script)
    {
        var asm = typeof(ReferenceScript).Assembly;
        string resource = asm.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith("." + script, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"bench script {script} is not embedded");
        using var s = asm.GetManifestResourceStream(resource)!;
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(ms.ToArray()))[..12];
        string dir = Path.Combine(Path.GetTempPath(), "ttl-bench-scripts-" + hash);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, script);
        if (!File.Exists(path))
        {
            string tmp = path + ".tmp-" + Environment.ProcessId;
            File.WriteAllBytes(tmp, ms.ToArray());
            File.Move(tmp, path, overwrite: true);
        }
        return path;
    }
}
