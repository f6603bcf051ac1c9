using TTL.Torch;
using TTL.Torch.Modules;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Models.Heads;

/// <summary>
/// A light decoder for a truncated encoder used for segmentation: a 3³ convolution reduces the
/// activation to <c>hidden</c> channels (BN, ReLU), trilinear upsampling returns to the input's
/// resolution, and a 1³ convolution gives the per-voxel logits. Kept small on purpose: the point of
/// TTL is a small model, and the body's features carry the information.
/// </summary>
public sealed class SegmentationDecoder : Head
{
    public SegmentationDecoder(long channels, long outChannels, long hidden = 32)
    {
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), "a segmentation head needs at least one output channel");
        register_module("reduce", torch.nn.Conv3d(channels, hidden, 3, padding: 1, bias: false));
        register_module("bn", torch.nn.BatchNorm3d(hidden));
        register_module("relu", torch.nn.ReLU(inplace: true));
        register_module("out", torch.nn.Conv3d(hidden, outChannels, 1));
    }

    private Module<Tensor, Tensor> Child(string name) => (Module<Tensor, Tensor>)GetModule(name)!;

    /// <summary>Logits at the activation's own resolution (use <see cref="Run"/> to get them at the input's).</summary>
    public override Tensor forward(Tensor features) => Decode(features, null);

    public override Tensor Run(Tensor features, long[] inputSize) => Decode(features, inputSize);

    private Tensor Decode(Tensor features, long[]? size)
    {
        using var reduced = Child("reduce").call(features);
        using var normed = Child("bn").call(reduced);
        using var act = Child("relu").call(normed);
        if (size is null || act.shape[2..].AsSpan().SequenceEqual(size)) return Child("out").call(act);
        using var up = F.interpolate(act, size: size, mode: "trilinear", align_corners: false);
        return Child("out").call(up);
    }
}
