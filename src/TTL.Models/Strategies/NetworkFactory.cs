using TTL.Models.DenseNets;
using TTL.Models.UNets;

namespace TTL.Models.Strategies;

/// <summary>
/// Builds any architecture by name, optionally with a width factor per block (TransFusion's slimmed
/// blocks). The DenseNet and U-Nets are built here; every other name goes to <see cref="Architectures"/>,
/// whose networks do not take width factors yet.
/// </summary>
public static class NetworkFactory
{
    private static readonly string[] Scalable = ["densenet121", "unet-genesis", "unet"];

    public static IReadOnlyList<string> Names => Architectures.Names.Concat(Scalable).Distinct().ToList();

    /// <summary>Whether <paramref name="name"/> accepts per-block width factors.</summary>
    public static bool AcceptsWidthFactors(string name) => Scalable.Contains(name);

    /// <summary>The network called <paramref name="name"/> keeping blocks 1..<paramref name="keptBlocks"/> (all when null), no head.</summary>
    public static BlockNetwork Create(string name, ArchitectureOptions? options = null, int? keptBlocks = null, double[]? widthFactors = null)
    {
        options ??= new ArchitectureOptions();
        if (Scalable.Contains(name) && (options.Shortcut is not null || options.Conv1Stride is not null))
            throw new ArgumentException($"--shortcut and the conv1 stride apply to ResNets, not {name}");
        switch (name)
        {
            case "densenet121":
                return new DenseNet3d(DenseNetConfig.DenseNet121(options.InChannels, widthFactors), keptBlocks);
            case "unet-genesis":
                return new UNet3d(options.InChannels, widthFactors, keptBlocks ?? UNet3d.Levels);
            case "unet":
                return new UNet(new UNetConfig(options.InChannels, WidthFactors: widthFactors), keptBlocks);
        }
        if (widthFactors is not null)
            throw new NotSupportedException($"{name} does not take per-block width factors, which transfusion:K needs; it works with {string.Join(", ", Scalable)}");
        try
        {
            return Architectures.Create(name, options, keptBlocks);
        }
        catch (UnknownArchitectureException)
        {
            throw new UnknownArchitectureException($"unknown architecture '{name}'; known: {string.Join(", ", Names)}");
        }
    }
}
