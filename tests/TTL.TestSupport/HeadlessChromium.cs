using System.Diagnostics;

namespace TTL.TestSupport;

/// <summary>What headless Chromium produced for a page: the DOM after scripts ran, and its log (console messages included).</summary>
public sealed record BrowserResult(int ExitCode, string Dom, string Log);

/// <summary>
/// Debian's Chromium, headless, for testing the HTML reports the toolkit writes: a fresh profile per
/// run, no background networking (the sandbox has no network and the pages must need none), the
/// page's console messages logged to stderr.
/// </summary>
public static class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    private static ProcessStartInfo Start(string profile, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={profile}",
                 }.Concat(args))
            psi.ArgumentList.Add(a);
        return psi;
    }

    private static BrowserResult Run(IEnumerable<string> args)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing: build/setup installs Debian's chromium");
        using var profile = new TempDir();
        using var p = Process.Start(Start(profile.Path, args))!;
        var err = p.StandardError.ReadToEndAsync();
        string dom = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish within 2 minutes"); }
        return new BrowserResult(p.ExitCode, dom, err.Result);
    }

    /// <summary>Loads a local page, runs its scripts, and returns the serialised DOM.</summary>
    public static BrowserResult DumpDom(string htmlPath) =>
        Run(["--virtual-time-budget=5000", "--dump-dom", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri]);

    /// <summary>Renders a local page into a PNG of the given window size.</summary>
    public static BrowserResult Screenshot(string htmlPath, string pngPath, int width, int height) =>
        Run(["--virtual-time-budget=5000", $"--window-size={width},{height}", $"--screenshot={Path.GetFullPath(pngPath)}",
            new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri]);

    /// <summary>Console errors and uncaught exceptions in a Chromium log.</summary>
    public static IReadOnlyList<string> ConsoleErrors(string log) =>
        log.Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal) && (l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains(":ERROR:", StringComparison.Ordinal))
            || l.Contains("Refused to", StringComparison.Ordinal)).ToList();
}
