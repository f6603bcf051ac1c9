using TTL.Models.Cbr;
using TTL.Models.ResNets;
using TTL.Torch.Modules;

namespace TTL.Models;

/// <summary>Settings an architecture name leaves open; null means the architecture's own default.</summary>
public sealed record ArchitectureOptions(long InChannels = 1, Shortcut? Shortcut = null, Size3? Conv1Stride = null);

/// <summary>The architectures by their CLI names (<c>resnet50</c>, <c>resnet50-std</c>, <c>cbr-small</c>, …).</summary>
public static class Architectures
{
    public static IReadOnlyList<string> Names { get; } =
        ResNetConfig.Depths.Select(d => $"resnet{d}")
            .Concat(ResNetConfig.Depths.Select(d => $"resnet{d}-std"))
            .Concat(CbrNet.Names)
            .ToList();

    /// <summary>The network called <paramref name="name"/> keeping blocks 1..<paramref name="keptBlocks"/> (all when null), no head.</summary>
    public static BlockNetwork Create(string name, ArchitectureOptions? options = null, int? keptBlocks = null)
    {
        options ??= new ArchitectureOptions();
        if (ResNetConfigOf(name, options) is { } config) return new ResNet3d(config, keptBlocks);
        if (CbrNet.Names.Contains(name))
        {
            if (options.Shortcut is not null) throw new ArgumentException($"--shortcut applies to ResNets, not {name}");
            return new CbrNet(name, options.InChannels, keptBlocks);
        }
        throw Unknown(name);
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
        if (std) return ResNetConfig.Standard(depth, o.Shortcut ?? Shortcut.B, o.InChannels, o.Conv1Stride);
        var medical = ResNetConfig.MedicalNet(depth, o.Shortcut, o.InChannels);
        return o.Conv1Stride is { } s ? medical with { Conv1Stride = s } : medical;
    }

    private static ArgumentException Unknown(string name) =>
        new UnknownArchitectureException($"unknown architecture '{name}'; known: {string.Join(", ", Names)}");
}

/// <summary>An architecture name that is not in <see cref="Architectures.Names"/>.</summary>
public sealed class UnknownArchitectureException(string message) : ArgumentException(message);
