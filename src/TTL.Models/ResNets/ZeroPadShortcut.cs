using TTL.Torch;

namespace TTL.Models.ResNets;

/// <summary>
/// Shortcut A: the identity taken with the block's stride, then zero channels appended up to the
/// block's output width. It has no parameters, so it is not a registered module (as MedicalNet's
/// <c>partial(downsample_basic_block, …)</c> is not), and the state dict has no <c>downsample</c> keys.
/// </summary>
public sealed class ZeroPadShortcut(long outChannels, long stride)
{
    public long OutChannels { get; } = outChannels;
    public long Stride { get; } = stride;

    public Tensor Apply(Tensor x)
    {
        using var strided = Stride == 1 ? x.alias() : x.slice(2, 0, null, Stride).slice(3, 0, null, Stride).slice(4, 0, null, Stride);
        var s = strided.shape;
        if (OutChannels == s[1]) return strided.contiguous();
        using var zeros = torch.zeros([s[0], OutChannels - s[1], s[2], s[3], s[4]], strided.dtype, strided.device);
        return torch.cat([strided, zeros], 1);
    }

    public override string ToString() => $"ZeroPadShortcut(out_channels={OutChannels}, stride={Stride})";
}
