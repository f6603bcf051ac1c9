using System.Text.RegularExpressions;

namespace TTL.Cuda.Nvrtc;

/// <summary>
/// A compilation target: <c>compute_XX</c> (virtual: PTX, which any driver of that generation or
/// newer JIT-compiles for its GPU) or <c>sm_XX</c> (real: a cubin for exactly that GPU family).
/// </summary>
public sealed partial record GpuArch(int Number, bool IsReal, string Suffix = "")
{
    public string Name => $"{(IsReal ? "sm" : "compute")}_{Number}{Suffix}";

    /// <summary>File extension of the image this target produces.</summary>
    public string ImageKind => IsReal ? "cubin" : "ptx";

    public string Option => "--gpu-architecture=" + Name;

    public override string ToString() => Name;

    public static bool TryParse(string text, out GpuArch? arch)
    {
        var m = Pattern().Match(text.Trim());
        arch = m.Success ? new GpuArch(int.Parse(m.Groups[2].Value), m.Groups[1].Value == "sm", m.Groups[3].Value) : null;
        return arch is not null;
    }

    public static GpuArch Parse(string text) =>
        TryParse(text, out var a) ? a! : throw new FormatException($"'{text}' is not a GPU architecture: expected compute_XX (PTX) or sm_XX (cubin), e.g. compute_90 or sm_80");

    [GeneratedRegex("^(compute|sm)_([0-9]{2,3})([af]?)$")]
    private static partial Regex Pattern();
}
