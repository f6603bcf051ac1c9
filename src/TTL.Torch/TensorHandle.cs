using System.Runtime.InteropServices;
using TTL.Torch.Native;

namespace TTL.Torch;

/// <summary>Owns one native at::Tensor handle; released exactly once, by Dispose or the finalizer.</summary>
public sealed class TensorHandle : SafeHandle
{
    private static long _live;

    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(handle);
        Interlocked.Increment(ref _live);
    }

    /// <summary>Native tensor handles currently held by managed code (for leak checks).</summary>
    public static long Live => Interlocked.Read(ref _live);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ttl_tensor_free(handle);
        Interlocked.Decrement(ref _live);
        return true;
    }
}
