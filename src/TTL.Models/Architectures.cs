using TTL.Models.Cbr;
using TTL.Models.DenseNets;
using TTL.Models.ResNets;
using TTL.Models.UNets;
using TTL.Torch.Modules;

namespace TTL.Models;

/// <summary>Settings an architecture name leaves open; null means the architecture's own default (<c>Width</c>: a ResNet's stem and layer1 planes, or the first level's channels of <c>unet</c>).</summary>
public sealed record ArchitectureOptions(long InChannels = 1, Shortcut? Shortcut = null, Size3? Conv1Stride = null, long? Width = null);

/// <summary>The architectures by their CLI names (<c>resnet50</c>, <c>resnet50-std</c>, <c>cbr-small</c>, …).</summary>
public static class Architectures
{
    public static IReadOnlyList<string> Names { get; } =
        ResNetConfig.Depths.Select(d => $"resnet{d}")
            .Concat(ResNetConfig.Depths.Select(d => $"resnet{d}-std"))
            .Concat(CbrNet.Names)
            .Concat(["densenet121", "unet-genesis", "unet"])
            .ToList();

    /// <summary>Whether <paramref name="name"/> takes per-block width factors (TransFusion's slimmed blocks).</summary>
    public static bool AcceptsWidthFactors(string name) => !CbrNet.Names.Contains(name);

    /// <summary>
    /// The network called <paramref name="name"/> keeping blocks 1..<paramref name="keptBlocks"/> (all
    /// when null), no head; <paramref name="widthFactors"/> (one per cut point) scales block widths.
    /// </summary>
    public static BlockNetwork Create(string name, ArchitectureOptions? options = null, int? keptBlocks = null, double[]? widthFactors = null)
    {
        options ??= new ArchitectureOptions();
        if (ResNetConfigOf(name, options) is { } config) return new ResNet3d(config, keptBlocks, widthFactors);
        if (options.Shortcut is not null || options.Conv1Stride is not null)
            throw new ArgumentException($"the shortcut and the conv1 stride apply to ResNets, not {name}");
        if (options.Width is not null && name != "unet")
            throw new ArgumentException($"the width applies to ResNets and unet, not {name}");
        if (widthFactors is not null && !AcceptsWidthFactors(name))
            throw new NotSupportedException($"{name} does not take per-block width factors, which transfusion:K needs; ResNets, densenet121 and the U-Nets do");
        return name switch
        {
            "densenet121" => new DenseNet3d(DenseNetConfig.DenseNet121(options.InChannels, widthFactors), keptBlocks),
            "unet-genesis" => new UNet3d(options.InChannels, widthFactors, keptBlocks ?? UNet3d.Levels),
            "unet" => new UNet(new UNetConfig(options.InChannels, BaseChannels: options.Width ?? UNetConfig.DefaultBaseChannels, WidthFactors: widthFactors), keptBlocks),
            _ when CbrNet.Names.Contains(name) => new CbrNet(name, options.InChannels, keptBlocks),
            _ => throw Unknown(name),
        };
    }

    /// <summary>The cut points of the full architecture, without building it.</summary>
    public static IReadOnlyList<CutPoint> CutPointsOf(string name, ArchitectureOptions? options = null)
    {
        options ??= new ArchitectureOptions();
        if (ResNetConfigOf(name, options) is { } config) return ResNet3d.CutPointsOf(config);
        using var net = Create(name, options, keptBlocks: 1);
        return net.AllCutPoints;
    }

    private static ResNetConfig? ResNetConfigOf(string name, ArchitectureOptions o)
    {
        if (!name.StartsWith("resnet", StringComparison.Ordinal)) return null;
        bool std = name.EndsWith("-std", StringComparison.Ordinal);
        string digits = name["resnet".Length..(std ? name.Length - 4 : name.Length)];
        if (!int.TryParse(digits, out int depth) || !ResNetConfig.Depths.Contains(depth) || digits != depth.ToString()) throw Unknown(name);
        var config = std ? ResNetConfig.Standard(depth, o.Shortcut ?? Shortcut.B, o.InChannels, o.Conv1Stride) : ResNetConfig.MedicalNet(depth, o.Shortcut, o.InChannels);
        if (!std && o.Conv1Stride is { } s) config = config with { Conv1Stride = s };
        return o.Width is { } w ? ResNetConfig.Checked(config with { Width = w }) : config;
    }

    private static ArgumentException Unknown(string name) =>
        new UnknownArchitectureException($"unknown architecture '{name}'; known: {string.Join(", ", Names)}");
}

/// <summary>An architecture name that is not in <see cref="Architectures.Names"/>.</summary>
public sealed class UnknownArchitectureException(string message) : ArgumentException(message);
