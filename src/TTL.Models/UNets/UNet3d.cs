using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.UNets;

/// <summary>
/// The 3-D U-Net of Models Genesis (Zhou et al., MedIA 2021), with its parameter names so that
/// <c>Genesis_Chest_CT.pt</c> loads into it:
/// <code>
/// down_tr64  : 1   → 32  → 64    ─────────────────────────────── skip ──┐
/// down_tr128 : 64  → 64  → 128   ─────────────────────── skip ──┐       │
/// down_tr256 : 128 → 128 → 256   ─────────────── skip ──┐       │       │
/// down_tr512 : 256 → 256 → 512  (bottleneck)            │       │       │
/// up_tr256   : up_conv 512→512, [512|256] → 256 → 256 ──┘       │       │
/// up_tr128   : up_conv 256→256, [256|128] → 128 → 128 ──────────┘       │
/// up_tr64    : up_conv 128→128, [128|64]  → 64  → 64  ──────────────────┘
/// out_tr     : 1³ conv 64 → n   (here the head, <c>head.final_conv</c>)
/// </code>
/// Every arrow inside a level is <c>ops.N</c> = 3³ conv (with bias) → <c>bn1</c> → ReLU; levels are
/// joined by 2³ max pooling. Two deliberate differences from the published code: the head is
/// registered as <c>head</c> (a pretrained <c>out_tr</c> is the old head; see
/// <see cref="GenesisHeadKeys"/>), and BatchNorm uses running statistics in eval mode (Models
/// Genesis' ContBatchNorm3d always normalises with the batch's), so inference does not depend on
/// the batch. Per-level width factors slim levels (TransFusion).
/// </summary>
public sealed class UNet3d : UNetBase
{
    public const int Levels = 4;

    public long InChannels { get; }

    public IReadOnlyList<double> WidthFactors { get; }

    public override string Architecture => "unet-genesis";

    public UNet3d(long inChannels = 1, double[]? levelWidthFactors = null, int keptLevels = Levels) : base(keptLevels)
    {
        if (keptLevels > Levels) throw new ArgumentOutOfRangeException(nameof(keptLevels), $"unet-genesis has {Levels} levels");
        var f = levelWidthFactors ?? [1, 1, 1, 1];
        if (f.Length != Levels) throw new ArgumentException($"unet-genesis has {Levels} levels, got {f.Length} width factors");
        InChannels = inChannels;
        WidthFactors = f;
        // Level i (1-based) doubles 32·2^(i−1) to 64·2^(i−1) channels; TransFusion scales both.
        long Mid(int i) => Widths.Scale(32L << (i - 1), f[i - 1]);
        long Out(int i) => Widths.Scale(64L << (i - 1), f[i - 1]);
        for (int i = 1; i <= Levels; i++)
        {
            int level = i;
            long input = level == 1 ? inChannels : Out(level - 1);
            string name = $"{64L << (level - 1)}";
            DeclareLevel(level, Out(level),
                "down_tr" + name, () => new DownTransition(torch.nn.Sequential(LUConv(input, Mid(level)), LUConv(Mid(level), Out(level)))),
                level < Levels ? "up_tr" + name : null,
                level < Levels
                    ? () => new UpTransition(Out(level + 1), Out(level + 1),
                        torch.nn.Sequential(LUConv(Out(level + 1) + Out(level), Out(level)), LUConv(Out(level), Out(level))))
                    : null);
        }
    }

    /// <summary>How a Models Genesis checkpoint names its output layer, and where this network keeps it.</summary>
    public static readonly (string Genesis, string Here) GenesisHeadKeys = ("out_tr.", "head.");

    /// <summary>Conv (3³, bias) → <c>bn1</c> → ReLU, named as Models Genesis' LUConv.</summary>
    private static Sequential LUConv(long inChannels, long outChannels) => torch.nn.Sequential(
    [
        ("conv1", torch.nn.Conv3d(inChannels, outChannels, 3, padding: 1)),
        ("bn1", torch.nn.BatchNorm3d(outChannels)),
        ("activation", torch.nn.ReLU()),
    ]);

    protected override BlockNetwork Build(int keptBlocks) => new UNet3d(InChannels, WidthFactors.ToArray(), keptBlocks);
}
