using System.Reflection;

namespace TTL.Cuda.Kernels;

/// <summary>One kernel source file of <c>native/kernels</c>, as embedded in this assembly.</summary>
public sealed record KernelSource(string File, string Text)
{
    /// <summary>"resample" for resample.cu.</summary>
    public string Name => Path.GetFileNameWithoutExtension(File);
}

/// <summary>
/// The toolkit's CUDA sources (<c>native/kernels/*.cu</c> and the headers they include), embedded
/// at build time so a published build compiles them with NVRTC wherever it runs.
/// </summary>
public static class KernelSources
{
    private const string Prefix = "TTL.Cuda.Kernels.";

    /// <summary>Options every kernel is compiled with. No fast-math: the kernels mirror the CPU's rounding.</summary>
    public static readonly IReadOnlyList<string> Options = ["--std=c++17", "-lineinfo"];

    private static readonly Lazy<(KernelSource[] Sources, Dictionary<string, string> Headers)> _all = new(Load);

    public static IReadOnlyList<KernelSource> All => _all.Value.Sources;

    /// <summary>Include name → text, handed to NVRTC in memory.</summary>
    public static IReadOnlyDictionary<string, string> Headers => _all.Value.Headers;

    public static KernelSource Get(string name) =>
        All.FirstOrDefault(s => s.Name == name || s.File == name)
        ?? throw new ArgumentException($"no kernel source '{name}'; the sources are {string.Join(", ", All.Select(s => s.File))}");

    private static (KernelSource[], Dictionary<string, string>) Load()
    {
        var asm = typeof(KernelSources).Assembly;
        var sources = new List<KernelSource>();
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var res in asm.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string file = res[Prefix.Length..];
            string text = Read(asm, res);
            if (file.EndsWith(".cu", StringComparison.Ordinal)) sources.Add(new KernelSource(file, text));
            else headers[file] = text;
        }
        return (sources.ToArray(), headers);
    }

    private static string Read(Assembly asm, string resource)
    {
        using var s = asm.GetManifestResourceStream(resource)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
