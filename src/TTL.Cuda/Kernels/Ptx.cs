using System.Text.RegularExpressions;
using TTL.Cuda.Driver;

namespace TTL.Cuda.Kernels;

/// <summary>A kernel's parameter as its PTX declares it.</summary>
public sealed record PtxParam(string Type, int Size, int Align, ArgKind Kind);

/// <summary>A <c>.entry</c> of a PTX module: kernel name and parameter list.</summary>
public sealed record PtxEntry(string Name, IReadOnlyList<PtxParam> Params);

/// <summary>Reads the kernel entry points out of PTX text.</summary>
public static partial class Ptx
{
    public static IReadOnlyList<PtxEntry> Entries(string ptx)
    {
        var list = new List<PtxEntry>();
        foreach (Match m in EntryPattern().Matches(ptx))
        {
            var ps = new List<PtxParam>();
            foreach (Match p in ParamPattern().Matches(m.Groups[2].Value))
            {
                string type = p.Groups[2].Value;
                int scalar = type[1..] switch { "8" => 1, "16" => 2, "32" => 4, "64" => 8, _ => throw new FormatException($"PTX parameter type .{type}") };
                int count = p.Groups[4].Success ? int.Parse(p.Groups[4].Value) : 1;
                int align = p.Groups[1].Success ? int.Parse(p.Groups[1].Value) : scalar;
                var kind = p.Groups[4].Success ? ArgKind.Struct : p.Groups[3].Success ? ArgKind.Pointer : type[0] == 'f' ? ArgKind.Float : ArgKind.Int;
                ps.Add(new PtxParam(type, scalar * count, align, kind));
            }
            list.Add(new PtxEntry(m.Groups[1].Value, ps));
        }
        return list;
    }

    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(([^)]*)\)")]
    private static partial Regex EntryPattern();

    // A kernel pointer parameter may carry PTX's pointer attributes, as NVVM of CUDA 13 writes them:
    // `.param .u64 .ptr .align 1 k_param_0` (optionally with a state space, `.ptr .global .align 8`);
    // the .align there is the pointee's, not the parameter's (a u64, aligned to 8).
    [GeneratedRegex(@"\.param\s+(?:\.align\s+(\d+)\s+)?\.([usbf](?:8|16|32|64))\s+(\.ptr\s+(?:\.(?:global|const|shared|local)\s+)?(?:\.align\s+\d+\s+)?)?\w+(?:\[(\d+)\])?")]
    private static partial Regex ParamPattern();
}
