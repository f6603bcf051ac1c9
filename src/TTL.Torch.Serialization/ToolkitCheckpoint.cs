using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace TTL.Torch.Serialization;

/// <summary>Versions of what wrote a checkpoint.</summary>
public sealed record ToolkitVersions(string Toolkit, string? Libtorch);

/// <summary>
/// What a toolkit checkpoint says about its model, stored as the JSON string `ttl.meta`
/// (snake_case keys: architecture, cut, strategy, num_classes, preprocessing, versions, epoch, extras).
/// </summary>
public sealed record ToolkitCheckpointMeta
{
    /// <summary>Architecture name as `--arch` takes it: "resnet18", "densenet121", "unet3d".</summary>
    public required string Architecture { get; init; }

    /// <summary>The cut point as written on the command line ("8", "layer3.1"); null for the full network.</summary>
    public string? Cut { get; init; }

    /// <summary>The transfer strategy as `--strategy` takes it: "truncate:8", "full", "lwft:5", …</summary>
    public required string Strategy { get; init; }

    /// <summary>Output classes of the head (segmentation: output channels).</summary>
    public required int NumClasses { get; init; }

    /// <summary>The deterministic preprocessing pipeline, as the YAML text the run was configured with.</summary>
    public string? Preprocessing { get; init; }

    public required ToolkitVersions Versions { get; init; }

    /// <summary>Completed epochs when the checkpoint was written.</summary>
    public int Epoch { get; init; }

    /// <summary>Anything else a writer wants to keep (metrics, optimizer hyper-parameters, seeds).</summary>
    public JsonObject? Extras { get; init; }
}

/// <summary>
/// The toolkit's own checkpoint, format "ttl-checkpoint/1" (see docs/checkpoint-format.md):
/// a safetensors file whose `__metadata__` holds
/// <list type="bullet">
/// <item>`ttl.format` = "ttl-checkpoint/1" (readers refuse other values),</item>
/// <item>`ttl.meta` = the JSON text of <see cref="ToolkitCheckpointMeta"/>,</item>
/// <item>`format` = "pt" (the convention other safetensors tools look for),</item>
/// </list>
/// and whose tensors are named `SECTION.NAME`: `model.&lt;state_dict key&gt;` (required, at least one),
/// `optimizer.&lt;…&gt;` (optimizer state such as `optimizer.state.0.momentum_buffer`), and any other
/// lower-case section a writer needs (`ema.`, `scheduler.`). Being plain safetensors, every
/// safetensors tool can open it, and `ttl checkpoint inspect` lists it.
/// </summary>
public static class ToolkitCheckpoint
{
    public const string FormatVersion = "ttl-checkpoint/1";
    public const string FormatKey = "ttl.format";
    public const string MetaKey = "ttl.meta";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public sealed record Contents(ToolkitCheckpointMeta Meta, IReadOnlyList<TensorRecord> Tensors)
    {
        /// <summary>The tensors of one section with the `SECTION.` prefix removed (`model` gives a state dict).</summary>
        public IReadOnlyList<TensorRecord> Section(string section) =>
            Tensors.Where(t => t.Name.StartsWith(section + ".", StringComparison.Ordinal))
                .Select(t => t with { Name = t.Name[(section.Length + 1)..] }).ToList();
    }

    /// <summary>Writes atomically; tensor names must already carry their section (`model.conv1.weight`).</summary>
    public static void Write(string path, ToolkitCheckpointMeta meta, IEnumerable<TensorRecord> tensors)
    {
        var list = tensors.ToList();
        foreach (var t in list)
            if (!HasSection(t.Name)) throw new ArgumentException($"tensor '{t.Name}' has no SECTION. prefix (model., optimizer., …)", nameof(tensors));
        if (!list.Any(t => t.Name.StartsWith("model.", StringComparison.Ordinal)))
            throw new ArgumentException("a toolkit checkpoint needs at least one model. tensor", nameof(tensors));
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatVersion,
            [MetaKey] = JsonSerializer.Serialize(meta, Json),
            ["format"] = "pt",
        };
        Safetensors.Write(path, list, metadata);
    }

    public static Contents Read(string path)
    {
        string name = Path.GetFileName(path);
        var st = Safetensors.Read(path);
        if (!st.Metadata.TryGetValue(FormatKey, out var format))
            throw new InvalidDataException($"{name}: a safetensors file but not a toolkit checkpoint (no {FormatKey} in __metadata__)");
        if (format != FormatVersion)
            throw new InvalidDataException($"{name}: checkpoint format '{format}', this toolkit reads '{FormatVersion}'");
        if (!st.Metadata.TryGetValue(MetaKey, out var metaText))
            throw new InvalidDataException($"{name}: {MetaKey} is missing from __metadata__");
        ToolkitCheckpointMeta? meta;
        try { meta = JsonSerializer.Deserialize<ToolkitCheckpointMeta>(metaText, Json); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: {MetaKey} is not valid: {e.Message}"); }
        if (meta?.Versions?.Toolkit is null)
            throw new InvalidDataException($"{name}: {MetaKey} is not valid: versions.toolkit is missing");
        foreach (var t in st.Tensors)
            if (!HasSection(t.Name)) throw new InvalidDataException($"{name}: tensor '{t.Name}' has no SECTION. prefix");
        return new Contents(meta, st.Tensors);
    }

    private static bool HasSection(string tensorName)
    {
        int dot = tensorName.IndexOf('.');
        if (dot <= 0 || dot == tensorName.Length - 1) return false;
        foreach (char c in tensorName.AsSpan(0, dot))
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')) return false;
        return true;
    }
}
