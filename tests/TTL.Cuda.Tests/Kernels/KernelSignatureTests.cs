using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;

namespace TTL.Cuda.Tests.Kernels;

/// <summary>
/// What the PTX check (sizes and alignments) cannot see: that the host passes each value where
/// the kernel expects that value. Two ints swapped (lda/ldb, rows/cols) or two struct fields
/// swapped (lo/hi) have the same layout; these tests read the kernel sources' own parameter and
/// field names and compare them with KernelCalls' parameters and the C# mirror structs, on any host.
/// </summary>
public sealed partial class KernelSignatureTests
{
    /// <summary>Kernel parameter name → KernelCalls parameter name where the two spell it differently.</summary>
    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["g"] = "grid", ["l"] = "labels", ["m"] = "map", ["b"] = "box", ["p"] = "pass", ["out"] = "output",
    };

    /// <summary>Each kernel entry's parameters (C type, name) in declaration order, from the .cu text.</summary>
    private static Dictionary<string, (string Type, string Name)[]> KernelParameters()
    {
        var all = new Dictionary<string, (string, string)[]>();
        foreach (var source in KernelSources.All)
            foreach (Match m in KernelPattern().Matches(source.Text))
                all[m.Groups[1].Value] = m.Groups[2].Value.Split(',').Select(p =>
                {
                    var words = Regex.Split(Regex.Replace(p, @"__restrict__|\bconst\b", " ").Replace("*", " * ").Trim(), @"\s+");
                    return (string.Join(" ", words[..^1]), words[^1]);
                }).ToArray();
        return all;
    }

    private static string Normal(string name) => name.Replace("_", "").ToLowerInvariant();

    [Fact]
    public void Every_kernel_argument_is_packed_from_the_host_parameter_of_the_same_name()
    {
        var kernels = KernelParameters();
        foreach (var method in typeof(KernelCalls).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            var ps = method.GetParameters();
            // Distinct values, so that a value found in the wrong slot is caught.
            var values = ps.Select((p, i) => Distinct(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType, i)).ToArray();
            var call = (KernelCall)method.Invoke(null, values)!;
            Assert.True(kernels.TryGetValue(call.Entry, out var kps), $"{method.Name}: no kernel {call.Entry} in the sources");
            Assert.True(kps!.Length == call.Args.Slots.Count, $"{call.Entry}: {kps.Length} parameters in the source, {call.Args.Slots.Count} packed by {method.Name}");
            var used = new HashSet<string>();
            for (int k = 0; k < kps.Length; k++)
            {
                var (type, name) = kps[k];
                var slot = call.Args.Slots[k];
                var bytes = call.Args.Bytes.Slice(slot.Offset, slot.Size);
                string where = $"{call.Entry} parameter {k} ({type} {name})";
                if (name is "seed_lo" or "seed_hi")
                {
                    // The 64-bit seed travels as two u32 halves, low first.
                    int s = Array.FindIndex(ps, p => p.Name == "seed");
                    ulong seed = (ulong)values[s];
                    Assert.True(MemoryMarshal.Read<uint>(bytes) == (uint)(name == "seed_lo" ? seed : seed >> 32), $"{where}: not the {name[5..]} half of seed");
                    used.Add("seed");
                    continue;
                }
                int at = Array.FindIndex(ps, p => Normal(p.Name!) == Normal(name));
                if (at < 0 && Aliases.TryGetValue(name, out var alias)) at = Array.FindIndex(ps, p => p.Name == alias);
                Assert.True(at >= 0, $"{where}: {method.Name} has no parameter {name} ({string.Join(", ", ps.Select(p => p.Name))})");
                used.Add(ps[at].Name!);
                var v = values[at];
                switch (v)
                {
                    case DevicePtr ptr:
                        Assert.True(type.EndsWith('*'), $"{where}: a pointer is packed into a {type}");
                        Assert.True(MemoryMarshal.Read<ulong>(bytes) == ptr.Address, $"{where}: holds another argument's pointer");
                        break;
                    case int i:
                        Assert.True(type == "int" && MemoryMarshal.Read<int>(bytes) == i, $"{where}: expected int {i} from {ps[at].Name}");
                        break;
                    case uint u:
                        Assert.True(type == "u32" && MemoryMarshal.Read<uint>(bytes) == u, $"{where}: expected u32 {u} from {ps[at].Name}");
                        break;
                    case bool flag:
                        Assert.True(type == "int" && MemoryMarshal.Read<int>(bytes) == (flag ? 1 : 0), $"{where}: expected the flag {ps[at].Name} as 0/1");
                        break;
                    case float f:
                        Assert.True(type == "float" && MemoryMarshal.Read<float>(bytes) == f, $"{where}: expected float {f} from {ps[at].Name}");
                        break;
                    case double d:
                        Assert.True(type == "double" && MemoryMarshal.Read<double>(bytes) == d, $"{where}: expected double {d} from {ps[at].Name}");
                        break;
                    default:
                        Assert.True(CStructFor(v.GetType()) == type, $"{where}: packed from a {v.GetType().Name}");
                        break;
                }
            }
            // Every host parameter reaches the kernel, except the one that picks the entry point.
            var unused = ps.Select(p => p.Name!).Where(n => !used.Contains(n) && n != "float64").ToArray();
            Assert.True(unused.Length == 0, $"{method.Name}: {string.Join(", ", unused)} never reach {call.Entry}");
        }
    }

    private static object Distinct(Type t, int i)
    {
        if (t == typeof(DevicePtr)) return new DevicePtr(0x1000UL * (ulong)(i + 1));
        if (t == typeof(int)) return 1000 + 17 * i;
        if (t == typeof(uint)) return 5000u + 13u * (uint)i;
        if (t == typeof(bool)) return true;
        if (t == typeof(float)) return 0.5f + i;
        if (t == typeof(double)) return 0.25 + i;
        if (t == typeof(ulong)) return 0x0123_4567_89ab_cdefUL + (ulong)i;
        return Activator.CreateInstance(t)!;
    }

    /// <summary>The C struct each C# mirror stands for (the names differ only for MomentSummary).</summary>
    private static string CStructFor(Type t) => t == typeof(MomentSummary) ? "Moments" : t.Name;

    [Theory]
    [InlineData(typeof(Grid3))]
    [InlineData(typeof(IntensityMap))]
    [InlineData(typeof(LabelLayout))]
    [InlineData(typeof(Permute3))]
    [InlineData(typeof(Box3))]
    [InlineData(typeof(RadixPass))]
    [InlineData(typeof(MomentSummary))]
    public void Each_mirror_struct_has_the_fields_of_its_kernel_struct_in_order_and_at_the_same_offsets(Type mirror)
    {
        var c = CStruct(CStructFor(mirror));
        var fields = mirror.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => f.MetadataToken).ToArray();
        Assert.True(c.Count == fields.Length, $"{mirror.Name}: {fields.Length} fields, the kernel's {CStructFor(mirror)} has {c.Count} ({string.Join(", ", c.Select(f => f.Name))})");
        int offset = 0, align = 1;
        for (int i = 0; i < c.Count; i++)
        {
            var (ctype, name, count) = c[i];
            var f = fields[i];
            var fixedBuffer = f.GetCustomAttribute<FixedBufferAttribute>();
            var (type, length) = fixedBuffer is not null ? (fixedBuffer.ElementType, fixedBuffer.Length) : (f.FieldType, 1);
            Assert.True(Normal(f.Name) == Normal(name), $"{mirror.Name} field {i} is {f.Name}, the kernel's is {name}");
            Assert.True(type == CType(ctype) && length == count, $"{mirror.Name}.{f.Name}: {type.Name}[{length}], the kernel's {ctype}[{count}]");
            int size = Marshal.SizeOf(type);
            offset = (offset + size - 1) / size * size;
            align = Math.Max(align, size);
            Assert.True((int)Marshal.OffsetOf(mirror, f.Name) == offset, $"{mirror.Name}.{f.Name} at {Marshal.OffsetOf(mirror, f.Name)}, the kernel's at {offset}");
            offset += size * count;
        }
        Assert.Equal((offset + align - 1) / align * align, Marshal.SizeOf(mirror));
    }

    private static Type CType(string c) => c switch
    {
        "double" => typeof(double),
        "float" => typeof(float),
        "int" => typeof(int),
        "u32" or "unsigned int" => typeof(uint),
        _ => throw new InvalidOperationException($"C type {c} has no mirror"),
    };

    /// <summary>The fields (type, name, array length) of struct <paramref name="name"/> in the kernel sources or headers.</summary>
    private static List<(string Type, string Name, int Count)> CStruct(string name)
    {
        var texts = KernelSources.All.Select(s => s.Text).Concat(KernelSources.Headers.Values).ToArray();
        var defines = texts.SelectMany(t => DefinePattern().Matches(t)).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
        var body = texts.Select(t => Regex.Match(t, @"\bstruct\s+" + name + @"\s*\{([^}]*)\};")).Single(m => m.Success).Groups[1].Value;
        var fields = new List<(string, string, int)>();
        foreach (var line in body.Split('\n').Select(l => Regex.Replace(l, "//.*", "").Trim()).Where(l => l.Length > 0))
        {
            var decl = line.TrimEnd(';');
            var m = Regex.Match(decl, @"^(unsigned int|\w+)\s+(.*)$");
            foreach (var item in m.Groups[2].Value.Split(',').Select(x => x.Trim()))
            {
                var a = Regex.Match(item, @"^(\w+)(?:\[(\w+)\])?$");
                string n = a.Groups[2].Value;
                int count = !a.Groups[2].Success ? 1 : int.TryParse(n, out var k) ? k : defines[n];
                fields.Add((m.Groups[1].Value, a.Groups[1].Value, count));
            }
        }
        return fields;
    }

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(?:__launch_bounds__\([^)]*\)\s+)?(\w+)\s*\(([^)]*)\)")]
    private static partial Regex KernelPattern();

    [GeneratedRegex(@"^#define\s+(\w+)\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex DefinePattern();
}
