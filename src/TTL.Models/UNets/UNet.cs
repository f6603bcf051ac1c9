using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Torch.Modules;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Models.UNets;

/// <summary>Normalisation inside a <see cref="UNet"/> unit.</summary>
public enum UNetNorm
{
    Batch,
    Instance,
}

/// <summary>
/// The settings of a <see cref="UNet"/>: number of levels, channels of level 1 (doubled per level),
/// normalisation, residual units, and optionally a width factor per level (TransFusion).
/// </summary>
public sealed record UNetConfig(long InChannels = 1, int Levels = 4, long BaseChannels = UNetConfig.DefaultBaseChannels, UNetNorm Norm = UNetNorm.Instance,
    bool Residual = false, double[]? WidthFactors = null)
{
    public const long DefaultBaseChannels = 32;

    public long Width(int level)
    {
        if (Levels < 1) throw new ArgumentOutOfRangeException(nameof(Levels), "a U-Net has at least one level");
        if (BaseChannels < 1) throw new ArgumentOutOfRangeException(nameof(BaseChannels), "base channels must be at least 1");
        if (WidthFactors is { } f && f.Length != Levels)
            throw new ArgumentException($"a {Levels}-level U-Net needs {Levels} width factors, got {f.Length}");
        return Widths.Scale(BaseChannels << (level - 1), WidthFactors?[level - 1] ?? 1);
    }
}

/// <summary>
/// A configurable 3-D U-Net for training from scratch (Çiçek et al., MICCAI 2016, in nnU-Net's
/// plain form): level i has 2^(i−1)·base channels; encoder unit <c>down{i}</c>, 2³ max pooling
/// between levels; decoder <c>up{i}</c> = 2³ transposed convolution from level i+1 to level i's
/// width, concatenation with the skip, unit. A unit is conv 3³ → norm → ReLU → conv 3³ → norm → ReLU,
/// or with residual units the second ReLU comes after adding the unit's input (through a 1³
/// projection when the widths differ).
/// </summary>
public sealed class UNet : UNetBase
{
    public UNetConfig Config { get; }

    public override string Architecture => "unet";

    public UNet(UNetConfig config, int? keptLevels = null) : base(keptLevels ?? config.Levels)
    {
        if (KeptBlocks > config.Levels) throw new ArgumentOutOfRangeException(nameof(keptLevels), $"this U-Net has {config.Levels} levels");
        Config = config;
        for (int i = 1; i <= config.Levels; i++)
        {
            int level = i;
            long width = config.Width(level);
            long input = level == 1 ? config.InChannels : config.Width(level - 1);
            DeclareLevel(level, width,
                $"down{level}", () => new DownTransition(new UNetUnit(input, width, config.Norm, config.Residual)),
                level < config.Levels ? $"up{level}" : null,
                level < config.Levels
                    ? () => new UpTransition(config.Width(level + 1), width, new UNetUnit(2 * width, width, config.Norm, config.Residual))
                    : null);
        }
    }

    protected override BlockNetwork Build(int keptBlocks) => new UNet(Config, keptBlocks);
}

/// <summary>Two conv 3³ → norm → ReLU, optionally residual (<c>conv1</c>, <c>norm1</c>, <c>conv2</c>, <c>norm2</c>, <c>shortcut</c>).</summary>
public sealed class UNetUnit : Module<Tensor, Tensor>
{
    private readonly Conv3d _conv1, _conv2;
    private readonly Module<Tensor, Tensor> _norm1, _norm2;
    private readonly Conv3d? _shortcut;
    private readonly bool _residual;

    public UNetUnit(long inChannels, long outChannels, UNetNorm norm, bool residual)
    {
        _conv1 = torch.nn.Conv3d(inChannels, outChannels, 3, padding: 1, bias: false);
        _norm1 = Norm(norm, outChannels);
        _conv2 = torch.nn.Conv3d(outChannels, outChannels, 3, padding: 1, bias: false);
        _norm2 = Norm(norm, outChannels);
        _residual = residual;
        register_module("conv1", _conv1);
        register_module("norm1", _norm1);
        register_module("conv2", _conv2);
        register_module("norm2", _norm2);
        if (residual && inChannels != outChannels)
        {
            _shortcut = torch.nn.Conv3d(inChannels, outChannels, 1, bias: false);
            register_module("shortcut", _shortcut);
        }
    }

    private static Module<Tensor, Tensor> Norm(UNetNorm norm, long channels) => norm switch
    {
        UNetNorm.Batch => torch.nn.BatchNorm3d(channels),
        UNetNorm.Instance => torch.nn.InstanceNorm3d(channels, affine: true),
        _ => throw new ArgumentOutOfRangeException(nameof(norm)),
    };

    public override Tensor forward(Tensor input)
    {
        using var c1 = _conv1.call(input);
        using var n1 = _norm1.call(c1);
        using var a1 = F.relu(n1);
        using var c2 = _conv2.call(a1);
        using var n2 = _norm2.call(c2);
        if (!_residual) return F.relu(n2);
        using var identity = _shortcut is { } s ? s.call(input) : input.alias();
        using var sum = n2.add(identity);
        return F.relu(sum);
    }
}
