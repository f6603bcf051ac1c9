using System.Runtime.InteropServices;
using TTL.Torch.Native;

namespace TTL.Torch;

/// <summary>Owns one native at::Tensor handle; released exactly once, by Dispose or the finalizer.</summary>
public sealed class TensorHandle : SafeHandle
{
    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ttl_tensor_free(handle);
        return true;
    }
}
