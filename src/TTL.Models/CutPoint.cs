using TTL.Torch.Modules;

namespace TTL.Models;

/// <summary>
/// A place where a network can be cut: the end of one block, where no skip connection crosses.
/// </summary>
/// <param name="Index">1-based position as in the paper: 1 = after the stem; ResNet-50 has 17 cut points.</param>
/// <param name="Name">The block's PyTorch module path (<c>stem</c>, <c>layer1.0</c>, <c>features.transition1</c>, <c>level2</c>).</param>
/// <param name="Stage">The coarse stage the block belongs to (0 for a stem, then 1, 2, …).</param>
/// <param name="EndsStage">True for the last block of a stage: the candidates of the coarse search.</param>
/// <param name="Channels">Channels of the activation leaving the block.</param>
/// <param name="Stride">Total downsampling from the input to this activation, per axis.</param>
/// <param name="Prefixes">
/// The state-dict key prefixes this block owns (<c>conv1.</c> and <c>bn1.</c> for a ResNet stem,
/// <c>layer1.0.</c> for a residual block): checkpoint import uses them to tell a key of a dropped
/// block from a key that belongs to no block at all.
/// </param>
public sealed record CutPoint(int Index, string Name, int Stage, bool EndsStage, long Channels, Size3 Stride,
    IReadOnlyList<string> Prefixes)
{
    public override string ToString() => $"{Index}:{Name}";
}
