using System.Security.Cryptography;
using System.Text;
using TTL.Cuda.Nvrtc;

namespace TTL.Cuda.Kernels;

/// <summary>A compiled kernel image and where it came from.</summary>
public sealed record CachedImage(CompiledImage Image, string? Path, bool FromCache);

/// <summary>
/// Compiles each kernel source once per architecture and keeps the result on disk as
/// <c>&lt;sha256&gt;-&lt;arch&gt;.ptx</c> (or <c>.cubin</c>) under <c>$XDG_CACHE_HOME/ttl/kernels</c>
/// (default <c>~/.cache/ttl/kernels</c>). The hash covers the source, the headers it can include,
/// the options and the NVRTC version, so any change compiles anew. Files are written under a
/// temporary name and renamed into place, so a reader never sees half a file; an unwritable cache
/// folder only costs the recompilation.
/// </summary>
public sealed class KernelCache
{
    public KernelCache(string? directory = null, NvrtcCompiler? nvrtc = null)
    {
        Directory = directory ?? DefaultDirectory();
        Compiler = nvrtc ?? NvrtcCompiler.Default;
    }

    public string Directory { get; }

    public NvrtcCompiler Compiler { get; }

    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "ttl", "kernels");
    }

    public static KernelCache Default { get; } = new();

    /// <summary>The cache file name for this source, target and options.</summary>
    public string FileName(KernelSource source, GpuArch arch, IReadOnlyList<string> options, IReadOnlyDictionary<string, string> headers)
    {
        var text = new StringBuilder();
        text.Append("nvrtc ").Append(Compiler.VersionText).Append('\n');
        foreach (var o in options) text.Append("option ").Append(o).Append('\n');
        foreach (var (name, body) in headers.OrderBy(h => h.Key, StringComparer.Ordinal)) text.Append("header ").Append(name).Append('\n').Append(body).Append('\n');
        text.Append("source ").Append(source.File).Append('\n').Append(source.Text);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return $"{hash}-{arch.Name}.{arch.ImageKind}";
    }

    /// <summary>The image of <paramref name="source"/> for <paramref name="arch"/>: from disk when present, else compiled and stored.</summary>
    public CachedImage Get(KernelSource source, GpuArch arch, IReadOnlyList<string>? options = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        options ??= KernelSources.Options;
        headers ??= KernelSources.Headers;
        var path = Path.Combine(Directory, FileName(source, arch, options, headers));
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (LooksValid(bytes, arch))
                return new CachedImage(new CompiledImage(source.File, arch, bytes, arch.IsReal ? null : Encoding.ASCII.GetString(bytes), "", 0), path, FromCache: true);
        }
        return Build(source, arch, options, headers);
    }

    /// <summary>Compiles whether or not the cache has the image, and stores the result (<c>ttl kernels build</c>).</summary>
    public CachedImage Build(KernelSource source, GpuArch arch, IReadOnlyList<string>? options = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        options ??= KernelSources.Options;
        headers ??= KernelSources.Headers;
        var path = Path.Combine(Directory, FileName(source, arch, options, headers));
        var image = Compiler.Compile(source.Text, source.File, headers, arch, options);
        return new CachedImage(image, Store(path, image.Image) ? path : null, FromCache: false);
    }

    /// <summary>A file someone truncated or replaced is recompiled rather than handed to the driver.</summary>
    private static bool LooksValid(byte[] bytes, GpuArch arch) =>
        arch.IsReal
            ? bytes.Length > 4 && bytes[0] == 0x7f && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F'
            : Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 4096)).Contains(".version", StringComparison.Ordinal);

    private bool Store(string path, byte[] bytes)
    {
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return false;
        }
    }
}
