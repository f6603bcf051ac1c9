using System.Runtime.InteropServices;

namespace TTL.Cuda.Native;

/// <summary>
/// Finds the CUDA libraries across CUDA 11, 12 and 13 and the places they live: a folder named by
/// <c>TTL_CUDA_LIB_DIR</c> first (an explicit choice wins), then the system loader (which also
/// returns a copy libtorch has already loaded), then a CUDA toolkit, then the wheels of a PyTorch
/// install (<c>site-packages/nvidia/*/lib</c>, <c>torch/lib</c>), whose libraries the loader does not see.
/// </summary>
public static class LibraryProbe
{
    public const string DirVariable = "TTL_CUDA_LIB_DIR";

    /// <summary>
    /// What to look for: sonames newest first, and file patterns for the copies PyTorch wheels ship
    /// under hashed names. The driver is only ever taken from the system (or the override): a
    /// toolkit's <c>stubs/libcuda.so</c> loads but cannot run anything.
    /// </summary>
    /// <param name="Preload">
    /// Libraries loaded (best effort, in this order) before a copy found by path, from its own
    /// folder or else another searched folder: what that copy opens by soname and the system
    /// loader would not find, since a folder found by probing is not on its search path. NVRTC
    /// dlopens libnvrtc-builtins.so.X.Y at compile time (the CUDA 13 wheel's libnvrtc has no
    /// RUNPATH to find it beside itself), cuSOLVER needs cuBLAS(Lt), cuSPARSE and nvJitLink.
    /// A library already loaded satisfies a later request for its soname.
    /// </param>
    public sealed record Spec(string Name, string[] Files, string[] Patterns, bool SearchToolkits, string[]? Preload = null);

    public static readonly Spec Driver = new("cuda", ["libcuda.so.1", "libcuda.so"], [], SearchToolkits: false);
    public static readonly Spec Nvrtc = new("nvrtc", ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], ["libnvrtc-*.so.1*"], SearchToolkits: true,
        Preload: ["libnvrtc-builtins.so.1*"]);
    public static readonly Spec Cublas = new("cublas", ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11"], [], SearchToolkits: true,
        Preload: ["libcublasLt.so.1*"]);
    public static readonly Spec Cusolver = new("cusolver", ["libcusolver.so.12", "libcusolver.so.11"], [], SearchToolkits: true,
        Preload: ["libnvJitLink.so.1*", "libcublasLt.so.1*", "libcublas.so.1*", "libcusparse.so.1*"]);

    /// <summary>Loads the first candidate that loads; absence is a result, not an exception.</summary>
    public static NativeLib Load(Spec spec) => Load(spec, Environment.GetEnvironmentVariable);

    internal static NativeLib Load(Spec spec, Func<string, string?> env)
    {
        var tried = new List<string>();
        var preloaded = new List<string>();
        foreach (var (candidate, isPath) in Candidates(spec, env, tried))
        {
            if (isPath) preloaded.AddRange(PreloadFor(spec, Path.GetDirectoryName(candidate)!, env));
            if (NativeLibrary.TryLoad(candidate, out var handle)) return new NativeLib(spec.Name, handle, candidate, tried, preloaded.Distinct().ToArray());
            tried.Add(isPath ? candidate + " (present, failed to load)" : candidate);
        }
        return new NativeLib(spec.Name, IntPtr.Zero, null, tried, preloaded.Distinct().ToArray());
    }

    /// <summary>Loads the <see cref="Spec.Preload"/> libraries for a copy in <paramref name="dir"/>; returns the files that loaded.</summary>
    private static List<string> PreloadFor(Spec spec, string dir, Func<string, string?> env)
    {
        var loaded = new List<string>();
        if (spec.Preload is not { Length: > 0 }) return loaded;
        var folders = new[] { dir }.Concat(Split(env(DirVariable)));
        if (spec.SearchToolkits) folders = folders.Concat(ToolkitFolders(env)).Concat(PythonFolders(env));
        var dirs = folders.Where(Directory.Exists).Distinct().ToArray();
        foreach (var pattern in spec.Preload)
            foreach (var d in dirs)
            {
                // Newest first (libnvrtc-builtins.so.13.2 before .so.13.0); the first that loads is enough.
                var file = Directory.GetFiles(d, pattern).OrderDescending(StringComparer.Ordinal).FirstOrDefault(f => NativeLibrary.TryLoad(f, out _));
                if (file is null) continue;
                loaded.Add(file);
                break;
            }
        return loaded;
    }

    /// <summary>Candidates in order: (file path or soname, whether it is a path). Folders searched are noted in <paramref name="tried"/>.</summary>
    private static IEnumerable<(string, bool)> Candidates(Spec spec, Func<string, string?> env, List<string> tried)
    {
        foreach (var dir in Split(env(DirVariable)))
            foreach (var path in InFolder(spec, dir, tried)) yield return (path, true);
        foreach (var name in spec.Files) yield return (name, false);
        if (!spec.SearchToolkits) yield break;
        foreach (var dir in ToolkitFolders(env).Concat(PythonFolders(env)).Distinct())
            foreach (var path in InFolder(spec, dir, tried)) yield return (path, true);
    }

    private static IEnumerable<string> InFolder(Spec spec, string dir, List<string> tried)
    {
        if (!Directory.Exists(dir)) yield break;
        tried.Add(dir + "/");
        foreach (var name in spec.Files)
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) yield return path;
        }
        foreach (var pattern in spec.Patterns)
            foreach (var path in Directory.GetFiles(dir, pattern).Where(p => !p.Contains("builtins", StringComparison.Ordinal)).OrderDescending(StringComparer.Ordinal))
                yield return path;
    }

    private static IEnumerable<string> Split(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static IEnumerable<string> ToolkitFolders(Func<string, string?> env)
    {
        foreach (var root in new[] { env("CUDA_HOME"), env("CUDA_PATH"), "/usr/local/cuda" })
        {
            if (string.IsNullOrEmpty(root)) continue;
            yield return Path.Combine(root, "lib64");
            yield return Path.Combine(root, "targets", "x86_64-linux", "lib");
        }
    }

    /// <summary>
    /// Library folders of PyTorch's CUDA wheels in the usual Python installs (a virtualenv or conda
    /// environment, the user site, the system). Found by looking, not by running Python: probing
    /// must stay cheap and side-effect free.
    /// </summary>
    internal static IEnumerable<string> PythonFolders(Func<string, string?> env)
    {
        var sites = new List<string>();
        foreach (var p in Split(env("PYTHONPATH"))) sites.Add(p);
        var roots = new[] { env("VIRTUAL_ENV"), env("CONDA_PREFIX"), Path.Combine(env("HOME") ?? "/root", ".local"), "/usr/local", "/usr", "/opt/conda" };
        foreach (var root in roots)
        {
            if (string.IsNullOrEmpty(root)) continue;
            var lib = Path.Combine(root, "lib");
            if (!Directory.Exists(lib)) continue;
            foreach (var py in Directory.GetDirectories(lib, "python3*").OrderDescending(StringComparer.Ordinal))
            {
                sites.Add(Path.Combine(py, "site-packages"));
                sites.Add(Path.Combine(py, "dist-packages"));
            }
        }
        foreach (var site in sites.Distinct())
        {
            var nvidia = Path.Combine(site, "nvidia");
            if (Directory.Exists(nvidia))
                foreach (var pkg in Directory.GetDirectories(nvidia).Order(StringComparer.Ordinal))
                {
                    var lib = Path.Combine(pkg, "lib");
                    if (Directory.Exists(lib)) yield return lib;
                }
            var torchLib = Path.Combine(site, "torch", "lib");
            if (Directory.Exists(torchLib)) yield return torchLib;
        }
    }
}
