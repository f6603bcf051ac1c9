using System.Reflection;
using System.Runtime.InteropServices;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;

namespace TTL.Cuda.Tests.Driver;

public sealed class KernelArgsTests
{
    [Fact]
    public void Each_argument_sits_at_the_next_offset_aligned_to_its_own_alignment()
    {
        var args = new KernelArgs().I32(7).F64(2.5).F32(1.5f).Ptr(new DevicePtr(0x1000)).U32(9).Struct(new IntensityMap { Scale = 3 }, 4).Struct(default(Grid3), 8);
        Assert.Equal(new[] { 0, 8, 16, 24, 32, 36, 64 }, args.Slots.Select(s => s.Offset));
        Assert.Equal(new[] { 4, 8, 4, 8, 4, 24, 152 }, args.Slots.Select(s => s.Size));
        Assert.Equal(64 + 152, args.Size);
        var bytes = args.Bytes;
        Assert.Equal(7, MemoryMarshal.Read<int>(bytes));
        Assert.Equal(2.5, MemoryMarshal.Read<double>(bytes[8..]));
        Assert.Equal(1.5f, MemoryMarshal.Read<float>(bytes[16..]));
        Assert.Equal(0x1000UL, MemoryMarshal.Read<ulong>(bytes[24..]));
        Assert.Equal(9u, MemoryMarshal.Read<uint>(bytes[32..]));
        Assert.Equal(3f, MemoryMarshal.Read<float>(bytes[36..]));
    }

    [Fact]
    public void Arguments_beyond_the_4_KiB_parameter_limit_are_refused()
    {
        var args = new KernelArgs();
        for (int i = 0; i < 512; i++) args.F64(i);
        Assert.Throws<InvalidOperationException>(() => args.I32(1));
    }

    /// <summary>
    /// Every method of <see cref="KernelCalls"/> packs exactly the parameter list its kernel's PTX
    /// declares (count, size, alignment, integer/float/struct), and every kernel has such a method:
    /// the host wrappers and the kernels cannot drift apart unnoticed, GPU or not.
    /// </summary>
    [Fact]
    public void Every_kernel_call_packs_the_parameters_its_ptx_declares()
    {
        var covered = new HashSet<string>();
        foreach (var method in typeof(KernelCalls).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            var ps = method.GetParameters();
            foreach (bool flag in new[] { false, true })
            {
                var values = ps.Select(p => Default(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType, flag)).ToArray();
                var call = (KernelCall)method.Invoke(null, values)!;
                var entry = Ptx.Entries(CompiledKernels.Ptx(call.Source, "compute_80")).SingleOrDefault(e => e.Name == call.Entry);
                Assert.True(entry is not null, $"{method.Name}: no entry {call.Entry} in {call.Source}.cu");
                Assert.True(entry!.Params.Count == call.Args.Slots.Count, $"{call.Entry}: PTX has {entry.Params.Count} parameters, {method.Name} packs {call.Args.Slots.Count}");
                for (int i = 0; i < entry.Params.Count; i++)
                {
                    var (p, s) = (entry.Params[i], call.Args.Slots[i]);
                    Assert.True(p.Size == s.Size && p.Align == s.Align && Compatible(p, s.Kind),
                        $"{call.Entry} parameter {i}: PTX .{p.Type} size {p.Size} align {p.Align}, packed {s.Kind} size {s.Size} align {s.Align}");
                }
                covered.Add(call.Entry);
            }
        }
        var all = CompiledKernels.Entries.Values.SelectMany(e => e).ToHashSet();
        Assert.Empty(all.Except(covered));
    }

    /// <summary>
    /// A pointer is a 64-bit integer to PTX, and an untyped .bNN scalar (which newer NVVM may write
    /// for any scalar) holds integers and floats alike; sizes are compared separately.
    /// </summary>
    private static bool Compatible(PtxParam ptx, ArgKind packed) =>
        ptx.Kind == packed
        || (ptx.Kind == ArgKind.Int && packed == ArgKind.Pointer)
        || (ptx.Kind != ArgKind.Struct && ptx.Type.StartsWith('b') && packed != ArgKind.Struct);

    private static object Default(Type t, bool flag) =>
        t == typeof(bool) ? flag : t == typeof(DevicePtr) ? new DevicePtr(0x100) : Activator.CreateInstance(t)!;
}
