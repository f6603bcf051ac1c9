using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TTL.Cuda.Driver;

/// <summary>
/// Kernel arguments packed the way a CUDA kernel's parameter space lays them out: each value at
/// the next offset aligned to its own alignment, in declaration order. cuLaunchKernel receives one
/// pointer per argument into this buffer. The slots are inspectable so that tests can compare a
/// wrapper's packing with the <c>.param</c> list of the kernel's PTX.
/// </summary>
public sealed class KernelArgs
{
    /// <summary>One argument: where it sits in the buffer and what it is.</summary>
    public readonly record struct Slot(int Offset, int Size, int Align, ArgKind Kind);

    private byte[] _data = new byte[128];
    private readonly List<Slot> _slots = new(16);

    public int Size { get; private set; }

    public IReadOnlyList<Slot> Slots => _slots;

    public ReadOnlySpan<byte> Bytes => _data.AsSpan(0, Size);

    public KernelArgs Ptr(DevicePtr p) => Put(p.Address, ArgKind.Pointer);

    public KernelArgs I32(int v) => Put(v, ArgKind.Int);

    public KernelArgs U32(uint v) => Put(v, ArgKind.Int);

    public KernelArgs I64(long v) => Put(v, ArgKind.Int);

    public KernelArgs U64(ulong v) => Put(v, ArgKind.Int);

    public KernelArgs F32(float v) => Put(v, ArgKind.Float);

    public KernelArgs F64(double v) => Put(v, ArgKind.Float);

    /// <summary>A struct passed by value; <paramref name="align"/> is its alignment in the kernel (its widest member).</summary>
    public KernelArgs Struct<T>(in T value, int align) where T : unmanaged
    {
        if (align is not (1 or 2 or 4 or 8 or 16)) throw new ArgumentOutOfRangeException(nameof(align));
        return Put(value, ArgKind.Struct, align);
    }

    private KernelArgs Put<T>(T value, ArgKind kind, int align = 0) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (align == 0) align = size;
        int offset = (Size + align - 1) / align * align;
        // The CUDA limit on kernel parameters is 4 KiB (32 KiB from Volta with CUDA 12.1, not assumed).
        if (offset + size > 4096) throw new InvalidOperationException("kernel arguments exceed 4096 bytes");
        if (offset + size > _data.Length) Array.Resize(ref _data, Math.Max(_data.Length * 2, offset + size));
        MemoryMarshal.Write(_data.AsSpan(offset, size), in value);
        _slots.Add(new Slot(offset, size, align, kind));
        Size = offset + size;
        return this;
    }

    /// <summary>Calls <paramref name="use"/> with the void*[] cuLaunchKernel takes, valid for the duration of the call.</summary>
    internal unsafe void WithPointers(Action<IntPtr> use)
    {
        fixed (byte* data = _data)
        {
            var ptrs = stackalloc IntPtr[Math.Max(1, _slots.Count)];
            for (int i = 0; i < _slots.Count; i++) ptrs[i] = (IntPtr)(data + _slots[i].Offset);
            use((IntPtr)ptrs);
        }
    }
}

/// <summary>What an argument is, as far as the parameter ABI cares: integers and pointers are bits, floats are floats.</summary>
public enum ArgKind
{
    Int,
    Float,
    Pointer,
    Struct,
}
