namespace TTL.Torch.Serialization;

/// <summary>A tensor's name, element type and shape, without its data.</summary>
public sealed record TensorInfo(string Name, DType DType, long[] Shape);

/// <summary>
/// Everything a checkpoint holds: named tensors (dotted paths for nested dicts), plain values
/// (`epoch` → 12; for safetensors the `__metadata__` strings), and the format it came in.
/// Values are null, bool, long, BigInteger, double, string, byte[], lists and string-keyed
/// dictionaries of those.
/// </summary>
public sealed record CheckpointContents(string Format, IReadOnlyList<TensorRecord> Tensors, IReadOnlyDictionary<string, object?> Values);

/// <summary>What <see cref="CheckpointContents"/> holds, minus the tensor data.</summary>
public sealed record CheckpointSummary(string Format, IReadOnlyList<TensorInfo> Tensors, IReadOnlyDictionary<string, object?> Values);

/// <summary>Any checkpoint file, its format detected from its first bytes (never from its name).</summary>
public static class Checkpoint
{
    public const string SafetensorsFormat = "safetensors";

    /// <summary>"pytorch-zip", "pytorch-legacy" or "safetensors"; InvalidDataException otherwise.</summary>
    public static string DetectFormat(string path)
    {
        string name = Path.GetFileName(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> head = stackalloc byte[512];
        int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (TorchFile.IsZip(head)) return TorchFile.ZipFormat;
        if (TorchFile.IsLegacy(head)) return TorchFile.LegacyFormat;
        if (Safetensors.LooksLikeSafetensors(head, fs.Length)) return SafetensorsFormat;
        if (n >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8))
            throw new InvalidDataException($"{name}: a tar-based torch.save file (PyTorch < 0.4), which is not supported");
        if (n >= 2 && head[0] == 0x80)
            throw new InvalidDataException($"{name}: a bare pickle, not a torch.save checkpoint");
        throw new InvalidDataException($"{name}: not a checkpoint (expected a PyTorch zip or legacy file, or safetensors)");
    }

    public static CheckpointContents Read(string path)
    {
        string format = DetectFormat(path);
        if (format != SafetensorsFormat) return TorchFile.Read(path);
        var st = Safetensors.Read(path);
        return new CheckpointContents(format, st.Tensors, AsValues(st.Metadata));
    }

    public static CheckpointSummary Inspect(string path)
    {
        string format = DetectFormat(path);
        if (format != SafetensorsFormat) return TorchFile.Inspect(path);
        var st = Safetensors.Inspect(path);
        return new CheckpointSummary(format, st.Tensors, AsValues(st.Metadata));
    }

    /// <summary>
    /// The tensors under a dotted path with that path removed (`state_dict` turns
    /// `state_dict.module.conv1.weight` into `module.conv1.weight`); InvalidDataException when the
    /// path holds no tensors.
    /// </summary>
    public static IReadOnlyList<TensorRecord> Select(CheckpointContents contents, string key, string file)
    {
        string prefix = key.TrimEnd('.') + ".";
        var selected = contents.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(t => t with { Name = t.Name[prefix.Length..] }).ToList();
        if (selected.Count == 0)
        {
            var tops = contents.Tensors.Select(t => t.Name.Split('.')[0]).Distinct().Take(10);
            throw new InvalidDataException($"{file}: no tensors under '{key}' (top-level names: {string.Join(", ", tops)})");
        }
        return selected;
    }

    /// <summary>Removes a prefix from the names that start with it; other names are kept as they are.</summary>
    public static IReadOnlyList<TensorRecord> StripPrefix(IEnumerable<TensorRecord> tensors, string prefix) =>
        tensors.Select(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) ? t with { Name = t.Name[prefix.Length..] } : t).ToList();

    private static IReadOnlyDictionary<string, object?> AsValues(IReadOnlyDictionary<string, string> metadata) =>
        metadata.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
}
