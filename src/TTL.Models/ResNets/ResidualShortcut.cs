using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.ResNets;

/// <summary>The identity path of a residual block, shared by <see cref="BasicBlock3d"/> and <see cref="Bottleneck3d"/>.</summary>
internal static class ResidualShortcut
{
    /// <summary>
    /// Nothing when the block keeps shape; otherwise shortcut B's projection (a module to register as
    /// <c>downsample</c>) or shortcut A's zero padding. Zero padding can only add channels, so a
    /// block that narrows (a slimmed TransFusion block after a full-width one) gets the projection.
    /// </summary>
    public static (Sequential? Projection, ZeroPadShortcut? ZeroPad) Make(Shortcut kind, long inChannels, long outChannels, long stride)
    {
        if (stride == 1 && inChannels == outChannels) return (null, null);
        return kind == Shortcut.B || outChannels < inChannels
            ? (torch.nn.Sequential(torch.nn.Conv3d(inChannels, outChannels, 1, stride: stride, bias: false), torch.nn.BatchNorm3d(outChannels)), null)
            : (null, new ZeroPadShortcut(outChannels, stride));
    }

    public static Tensor Apply(Tensor x, Module<Tensor, Tensor>? projection, ZeroPadShortcut? zeroPad) =>
        projection?.call(x) ?? zeroPad?.Apply(x) ?? x.alias();
}
