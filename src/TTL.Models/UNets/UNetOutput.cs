using TTL.Models.Heads;
using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.UNets;

/// <summary>
/// A U-Net's head (Models Genesis' <c>OutputTransition</c>): a 1³ convolution <c>final_conv</c> from
/// the top decoder level to the output channels. It returns logits; the sigmoid or softmax is
/// applied outside (by the loss, or by inference).
/// </summary>
public sealed class UNetOutput : Head
{
    private readonly Conv3d _finalConv;

    public UNetOutput(long inChannels, long outChannels)
    {
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), "a U-Net head needs at least one output channel");
        _finalConv = torch.nn.Conv3d(inChannels, outChannels, 1);
        register_module("final_conv", _finalConv);
    }

    public override Tensor forward(Tensor features) => _finalConv.call(features);
}
