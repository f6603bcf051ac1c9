using System.Diagnostics;
using System.Text.Json;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// A reference implementation kept running beside ours, driven one command per line: the bench
/// sends a task name, the script does that work once and answers with one JSON line (its own
/// timing). Interleaving our runs with the reference's exposes both to the same machine load,
/// which one-side-then-the-other timing does not.
/// </summary>
public sealed class ReferenceProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    public JsonElement Hello { get; }

    public ReferenceProcess(string script, int threads, params string[] args)
    {
        var psi = ReferenceScript.StartInfo(script, threads, args);
        psi.RedirectStandardInput = true;
        _process = Process.Start(psi)!;
        _stderr = _process.StandardError.ReadToEndAsync();
        Hello = ReadAnswer("start");
    }

    /// <summary>Asks the script to run <paramref name="task"/> once; returns its JSON answer.</summary>
    public JsonElement Ask(string task)
    {
        _process.StandardInput.WriteLine(task);
        _process.StandardInput.Flush();
        return ReadAnswer(task);
    }

    private JsonElement ReadAnswer(string task)
    {
        string? line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit();
            string err = _stderr.Result.Trim().Split('\n').LastOrDefault() ?? "";
            throw new InvalidOperationException($"reference process ended during '{task}' ({_process.ExitCode}): {err}");
        }
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000)) _process.Kill();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
