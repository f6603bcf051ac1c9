using TTL.Torch.Modules;

namespace TTL.Models.ResNets;

/// <summary>How a residual block's identity path changes shape when the block changes channels or stride.</summary>
public enum Shortcut
{
    /// <summary>Parameter-free: strided identity, extra channels zero (MedicalNet's <c>downsample_basic_block</c>).</summary>
    A,
    /// <summary>A 1×1×1 convolution (with the block's stride) and batch norm, named <c>downsample.0</c>, <c>downsample.1</c>.</summary>
    B,
}

/// <summary>Where a ResNet's stages downsample.</summary>
public enum ResNetLayout
{
    /// <summary>Med3D: layer2 stride 2; layer3 and layer4 stride 1 with dilation 2 and 4 (output stride 8).</summary>
    MedicalNet,
    /// <summary>ImageNet ResNet in 3D: strides 2 in layers 2–4, no dilation; conv1's stride configurable (for inflated 2D weights).</summary>
    Standard,
}

/// <summary>
/// Everything that fixes a 3D ResNet's shape: depth, shortcut, layout, input channels, conv1
/// stride, and the width: planes of the stem and layer1 (64 in every published ResNet; each later
/// stage doubles it), smaller for the narrow networks small 3D datasets train well.
/// </summary>
public sealed record ResNetConfig(int Depth, Shortcut Shortcut, ResNetLayout Layout, long InChannels, Size3 Conv1Stride, long Width = ResNetConfig.DefaultWidth)
{
    public const long DefaultWidth = 64;

    public static IReadOnlyList<int> Depths { get; } = [10, 18, 34, 50, 101, 152, 200];

    /// <summary>MedicalNet's network of this depth: shortcut A for 18 and 34 (as its released weights), B otherwise.</summary>
    public static ResNetConfig MedicalNet(int depth, Shortcut? shortcut = null, long inChannels = 1) =>
        Checked(new(depth, shortcut ?? (depth is 18 or 34 ? Shortcut.A : Shortcut.B), ResNetLayout.MedicalNet, inChannels, 2));

    /// <summary>The standard layout (shortcut B as torchvision; conv1 stride (1, 2, 2) by default, keeping depth resolution).</summary>
    public static ResNetConfig Standard(int depth, Shortcut shortcut = Shortcut.B, long inChannels = 1, Size3? conv1Stride = null) =>
        Checked(new(depth, shortcut, ResNetLayout.Standard, inChannels, conv1Stride ?? (1, 2, 2)));

    public static ResNetConfig Checked(ResNetConfig c)
    {
        if (!Depths.Contains(c.Depth)) throw new ArgumentException($"no ResNet of depth {c.Depth}; depths are {string.Join(", ", Depths)}");
        if (c.InChannels < 1) throw new ArgumentException("a ResNet needs at least one input channel");
        if (c.Width is < 1 or > 4096) throw new ArgumentException($"a ResNet's width must be between 1 and 4096 planes, not {c.Width}");
        return c;
    }

    /// <summary>Residual blocks per stage (layer1..layer4).</summary>
    public int[] BlocksPerStage => Depth switch
    {
        10 => [1, 1, 1, 1],
        18 => [2, 2, 2, 2],
        34 or 50 => [3, 4, 6, 3],
        101 => [3, 4, 23, 3],
        152 => [3, 8, 36, 3],
        200 => [3, 24, 36, 3],
        _ => throw new ArgumentException($"no ResNet of depth {Depth}"),
    };

    public bool UsesBottleneck => Depth >= 50;

    /// <summary>Output channels over input planes of a block: 4 for Bottleneck, 1 for BasicBlock.</summary>
    public long Expansion => UsesBottleneck ? Bottleneck3d.Expansion : BasicBlock3d.Expansion;

    /// <summary>Planes of the blocks of stage 1..4: the width, doubled at each stage.</summary>
    public long Planes(int stage) => Width << (stage - 1);

    public long StageStride(int stage) => Layout == ResNetLayout.MedicalNet ? (stage == 2 ? 2 : 1) : (stage == 1 ? 1 : 2);

    public long StageDilation(int stage) => Layout == ResNetLayout.MedicalNet ? stage switch { 3 => 2, 4 => 4, _ => 1 } : 1;

    /// <summary>The CLI name: <c>resnet50</c> (MedicalNet layout) or <c>resnet50-std</c>.</summary>
    public string Name => Layout == ResNetLayout.MedicalNet ? $"resnet{Depth}" : $"resnet{Depth}-std";
}
