using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using TTL.Cuda.Native;

namespace TTL.Cuda.Nvrtc;

/// <summary>
/// What NVRTC produced for one source and target: the image to load (PTX text without its NUL, or
/// a cubin) and the PTX itself, which NVRTC emits for sm_XX targets too (null when the image came
/// from a cached cubin).
/// </summary>
public sealed record CompiledImage(string Source, GpuArch Arch, byte[] Image, string? Ptx, string Log, double CompileMs)
{
    /// <summary>PTX text without the terminating NUL, or a cubin (ELF).</summary>
    public bool IsPtx => !Arch.IsReal;
}

/// <summary>
/// NVRTC, the runtime CUDA C++ compiler, bound lazily. Compiles to PTX for <c>compute_XX</c> and to
/// a cubin for <c>sm_XX</c> (NVRTC 11.1 and later have nvrtcGetCUBIN); needs no GPU. A failed
/// compile raises <see cref="NvrtcCompileException"/> with the compiler log in its message.
/// </summary>
public sealed unsafe class NvrtcCompiler
{
    private static readonly Lazy<NvrtcCompiler> _default = new(() => new NvrtcCompiler(LibraryProbe.Load(LibraryProbe.Nvrtc)));

    public static NvrtcCompiler Default => _default.Value;

    internal NvrtcCompiler(NativeLib lib) => Lib = lib;

    public NativeLib Lib { get; }

    public bool IsAvailable => Lib.IsLoaded;

    /// <summary>NVRTC's own version, e.g. (11, 8); null when absent.</summary>
    public (int Major, int Minor)? Version
    {
        get
        {
            if (!IsAvailable) return null;
            int major, minor;
            Check(((delegate* unmanaged<int*, int*, int>)Lib.Require("nvrtcVersion"))(&major, &minor), "nvrtcVersion");
            return (major, minor);
        }
    }

    public string? VersionText => Version is { } v ? $"{v.Major}.{v.Minor}" : null;

    /// <summary>The XX of every compute_XX / sm_XX this NVRTC can target, ascending.</summary>
    public int[] SupportedArchs()
    {
        EnsureAvailable();
        int n;
        Check(((delegate* unmanaged<int*, int>)Lib.Require("nvrtcGetNumSupportedArchs"))(&n), "nvrtcGetNumSupportedArchs");
        var archs = new int[n];
        fixed (int* p = archs) Check(((delegate* unmanaged<int*, int>)Lib.Require("nvrtcGetSupportedArchs"))(p), "nvrtcGetSupportedArchs");
        Array.Sort(archs);
        return archs;
    }

    public void EnsureAvailable()
    {
        if (!IsAvailable) throw new CudaException("NVRTC: " + Lib.Absence);
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (named <paramref name="name"/> in messages) with in-memory
    /// <paramref name="headers"/> (include name → text) for <paramref name="arch"/>.
    /// </summary>
    public CompiledImage Compile(string source, string name, IReadOnlyDictionary<string, string> headers, GpuArch arch, IReadOnlyList<string> options)
    {
        EnsureAvailable();
        var sw = Stopwatch.StartNew();
        var allOptions = new List<string>(options) { arch.Option };
        using var strings = new Utf8Strings();
        var headerNames = headers.Keys.ToArray();
        var hdrSrc = stackalloc IntPtr[Math.Max(1, headerNames.Length)];
        var hdrName = stackalloc IntPtr[Math.Max(1, headerNames.Length)];
        for (int i = 0; i < headerNames.Length; i++)
        {
            hdrSrc[i] = strings.Add(headers[headerNames[i]]);
            hdrName[i] = strings.Add(headerNames[i]);
        }
        IntPtr prog;
        Check(((delegate* unmanaged<IntPtr*, IntPtr, IntPtr, int, IntPtr*, IntPtr*, int>)Lib.Require("nvrtcCreateProgram"))(
            &prog, strings.Add(source), strings.Add(name), headerNames.Length, hdrSrc, hdrName), "nvrtcCreateProgram");
        try
        {
            var opts = stackalloc IntPtr[allOptions.Count];
            for (int i = 0; i < allOptions.Count; i++) opts[i] = strings.Add(allOptions[i]);
            int result = ((delegate* unmanaged<IntPtr, int, IntPtr*, int>)Lib.Require("nvrtcCompileProgram"))(prog, allOptions.Count, opts);
            string log = ProgramLog(prog);
            if (result != 0)
                throw new NvrtcCompileException("nvrtcCompileProgram", result, ErrorName(result), Description(result) + $" ({arch}, {string.Join(" ", allOptions)})", name, log);
            byte[] ptx = Output(prog, "nvrtcGetPTXSize", "nvrtcGetPTX");
            if (ptx.Length > 0 && ptx[^1] == 0) ptx = ptx[..^1];
            byte[] image = arch.IsReal ? Output(prog, "nvrtcGetCUBINSize", "nvrtcGetCUBIN") : ptx;
            return new CompiledImage(name, arch, image, Encoding.ASCII.GetString(ptx), log, sw.Elapsed.TotalMilliseconds);
        }
        finally
        {
            ((delegate* unmanaged<IntPtr*, int>)Lib.Require("nvrtcDestroyProgram"))(&prog);
        }
    }

    private string ProgramLog(IntPtr prog)
    {
        nuint size;
        Check(((delegate* unmanaged<IntPtr, nuint*, int>)Lib.Require("nvrtcGetProgramLogSize"))(prog, &size), "nvrtcGetProgramLogSize");
        if (size <= 1) return "";
        var buf = new byte[(int)size];
        fixed (byte* b = buf) Check(((delegate* unmanaged<IntPtr, byte*, int>)Lib.Require("nvrtcGetProgramLog"))(prog, b), "nvrtcGetProgramLog");
        return Encoding.UTF8.GetString(buf, 0, buf.Length - 1);
    }

    private byte[] Output(IntPtr prog, string sizeFn, string getFn)
    {
        nuint size;
        Check(((delegate* unmanaged<IntPtr, nuint*, int>)Lib.Require(sizeFn))(prog, &size), sizeFn);
        var buf = new byte[(int)size];
        fixed (byte* b = buf) Check(((delegate* unmanaged<IntPtr, byte*, int>)Lib.Require(getFn))(prog, b), getFn);
        return buf;
    }

    private void Check(int code, string call)
    {
        if (code != 0) throw new CudaException(call, code, ErrorName(code), Description(code));
    }

    private string ErrorName(int code)
    {
        var f = Lib.Export("nvrtcGetErrorString");
        var s = f == IntPtr.Zero ? IntPtr.Zero : (IntPtr)((delegate* unmanaged<int, byte*>)f)(code);
        return s == IntPtr.Zero ? $"nvrtcResult {code}" : Marshal.PtrToStringUTF8(s)!;
    }

    /// <summary>What each nvrtcResult means (nvrtcGetErrorString only gives the name).</summary>
    internal static string Description(int code) => code switch
    {
        1 => "out of memory",
        2 => "the program could not be created",
        3 => "invalid input",
        4 => "invalid program",
        5 => "invalid option",
        6 => "compilation failed",
        7 => "a builtin operation failed (is libnvrtc-builtins installed?)",
        11 => "internal NVRTC error",
        _ => "NVRTC error",
    };

    /// <summary>NUL-terminated UTF-8 copies in unmanaged memory, freed together.</summary>
    private sealed class Utf8Strings : IDisposable
    {
        private readonly List<IntPtr> _all = new();

        public IntPtr Add(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            _all.Add(p);
            return p;
        }

        public void Dispose()
        {
            foreach (var p in _all) Marshal.FreeCoTaskMem(p);
        }
    }
}
