using System.Runtime.InteropServices;

namespace TTL.Cuda.Native;

/// <summary>
/// One CUDA library as the probe found it: loaded (with the file it came from) or absent (with
/// every place that was tried), never an exception at load time.
/// </summary>
public sealed class NativeLib
{
    internal NativeLib(string name, IntPtr handle, string? path, IReadOnlyList<string> tried, IReadOnlyList<string>? preloaded = null)
    {
        Name = name;
        Handle = handle;
        Path = path;
        Tried = tried;
        Preloaded = preloaded ?? [];
    }

    /// <summary>Short name: "cuda" (the driver), "nvrtc", "cublas", "cusolver".</summary>
    public string Name { get; }

    public IntPtr Handle { get; }

    public bool IsLoaded => Handle != IntPtr.Zero;

    /// <summary>The file (or soname, when the system loader found it) that loaded; null when absent.</summary>
    public string? Path { get; }

    /// <summary>Every candidate in the order it was tried.</summary>
    public IReadOnlyList<string> Tried { get; }

    /// <summary>The companion libraries loaded for it first (<see cref="LibraryProbe.Spec.Preload"/>).</summary>
    public IReadOnlyList<string> Preloaded { get; }

    /// <summary>Why the library is absent, in one line.</summary>
    public string Absence => IsLoaded ? "" : $"lib{Name} not found (tried {string.Join(", ", Tried)}; set {LibraryProbe.DirVariable} to its folder)";

    /// <summary>An exported function, or zero when this build of the library does not have it.</summary>
    public IntPtr Export(string symbol) =>
        IsLoaded && NativeLibrary.TryGetExport(Handle, symbol, out var p) ? p : IntPtr.Zero;

    /// <summary>An exported function that must exist: a missing one is a clear error naming the library file.</summary>
    public IntPtr Require(string symbol)
    {
        if (!IsLoaded) throw new CudaException($"{symbol}: {Absence}");
        var p = Export(symbol);
        if (p == IntPtr.Zero) throw new CudaException($"{symbol}: not exported by {Path}");
        return p;
    }
}
