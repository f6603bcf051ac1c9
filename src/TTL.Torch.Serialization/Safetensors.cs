using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace TTL.Torch.Serialization;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a UTF-8 JSON header mapping each
/// tensor name to {dtype, shape, data_offsets} (plus an optional "__metadata__" string map), then
/// the raw little-endian tensor bytes. Headers are untrusted: every offset is checked against the
/// file length before anything is allocated.
/// </summary>
public static class Safetensors
{
    /// <summary>Largest JSON header accepted (the reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100L << 20;

    public sealed record Contents(IReadOnlyList<TensorRecord> Tensors, IReadOnlyDictionary<string, string> Metadata);

    public sealed record Header(IReadOnlyList<TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>
    /// Reads every tensor. Each tensor's bytes go from the file straight into the buffer its record
    /// keeps, so a large tensor is never held twice.
    /// </summary>
    public static Contents Read(string path)
    {
        string name = Path.GetFileName(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var (entries, metadata, dataStart) = ParseHeader(fs, name);
        var tensors = new List<TensorRecord>(entries.Count);
        foreach (var e in entries)
        {
            var bytes = new byte[e.End - e.Begin];
            fs.Position = dataStart + e.Begin;
            fs.ReadExactly(bytes);
            tensors.Add(new TensorRecord(e.Name, e.DType, e.Shape, bytes));
        }
        return new Contents(tensors, metadata);
    }

    /// <summary>Names, dtypes, shapes and metadata, fully validated, without reading tensor data.</summary>
    public static Header Inspect(string path)
    {
        string name = Path.GetFileName(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 12);
        var (entries, metadata, _) = ParseHeader(fs, name);
        return new Header(entries.Select(e => new TensorInfo(e.Name, e.DType, e.Shape)).ToList(), metadata);
    }

    /// <summary>An 8-byte header length that fits the file, followed by '{'.</summary>
    public static bool LooksLikeSafetensors(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length < 9) return false;
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return headerLen >= 2 && headerLen <= (ulong)Math.Max(0, fileLength - 8) && head[8] == (byte)'{';
    }

    private sealed record Entry(string Name, DType DType, long[] Shape, long Begin, long End);

    /// <summary>
    /// Parses and validates the header: JSON object without duplicate names, known dtypes, shapes
    /// whose byte size does not overflow and matches data_offsets, and offsets that tile the data
    /// section exactly (inside the file, no overlap, no gap, nothing left over), as the reference
    /// implementation requires.
    /// </summary>
    private static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ParseHeader(FileStream fs, string name)
    {
        long length = fs.Length;
        if (length < 8) throw Bad(name, $"file is {length} bytes, shorter than the 8-byte header length");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > (ulong)MaxHeaderBytes || (long)headerLen > length - 8)
            throw Bad(name, $"header length {headerLen} exceeds the file ({length} bytes) or the {MaxHeaderBytes}-byte limit");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        if (header.Length == 0 || header[0] != (byte)'{') throw Bad(name, "header does not start with '{'");
        long dataStart = 8 + (long)headerLen;
        long dataLength = length - dataStart;

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw Bad(name, "header is not valid JSON: " + e.Message); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(name, "header is not a JSON object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Bad(name, $"header names '{prop.Name}' twice");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(name, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(name, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(name, prop));
            }
        }

        var byOffset = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long previousEnd = 0;
        foreach (var e in byOffset)
        {
            if (e.Begin < 0 || e.End < e.Begin || e.End > dataLength)
                throw Bad(name, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] lie outside the {dataLength}-byte data section");
            if (e.Begin < previousEnd)
                throw Bad(name, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap another tensor");
            if (e.Begin > previousEnd)
                throw Bad(name, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] leave a gap after byte {previousEnd}");
            long expected;
            try { expected = checked(ElementCount(e.Shape) * e.DType.ElementSize()); }
            catch (OverflowException) { throw Bad(name, $"tensor '{e.Name}' shape [{string.Join(", ", e.Shape)}] overflows"); }
            if (e.End - e.Begin != expected)
                throw Bad(name, $"tensor '{e.Name}' has {e.End - e.Begin} bytes, its shape and dtype need {expected}");
            if (expected > Array.MaxLength) throw Bad(name, $"tensor '{e.Name}' has {expected} bytes, more than one buffer can hold");
            previousEnd = e.End;
        }
        if (previousEnd != dataLength)
            throw Bad(name, $"data section is {dataLength} bytes but the tensors cover {previousEnd}");
        return (entries, metadata, dataStart);
    }

    /// <summary>Writes tensors (in the order given) atomically: a temporary file renamed into place.</summary>
    public static void Write(string path, IEnumerable<TensorRecord> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == "__metadata__" || !names.Add(t.Name))
                throw new ArgumentException($"tensor name '{t.Name}' is reserved or used twice", nameof(tensors));
            long expected = checked(t.ElementCount * t.DType.ElementSize());
            if (t.Data.Length != expected)
                throw new ArgumentException($"tensor '{t.Name}' has {t.Data.Length} bytes, its shape and dtype need {expected}", nameof(tensors));
        }
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", Code(t.DType));
                w.WriteStartArray("shape");
                foreach (var s in t.Shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += t.Data.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces so the data section starts 8-byte aligned.
        long headerLen = headerStream.Length;
        long padded = (headerLen + 7) / 8 * 8;
        string tmp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> lenBytes = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(lenBytes, (ulong)padded);
                fs.Write(lenBytes);
                headerStream.Position = 0;
                headerStream.CopyTo(fs);
                for (long k = headerLen; k < padded; k++) fs.WriteByte((byte)' ');
                foreach (var t in list) fs.Write(t.Data.Span);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>The safetensors dtype code ("F32", "I64", …).</summary>
    public static string Code(DType t) => t switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no safetensors code"),
    };

    private static DType? FromCode(string code) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        "I64" => DType.Int64,
        "I32" => DType.Int32,
        "I16" => DType.Int16,
        "I8" => DType.Int8,
        "U8" => DType.UInt8,
        "BOOL" => DType.Bool,
        _ => null,
    };

    private static Entry ParseEntry(string file, JsonProperty prop)
    {
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(file, $"entry '{prop.Name}' is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(file, $"tensor '{prop.Name}' has no dtype");
        var dtype = FromCode(dt.GetString()!) ?? throw Bad(file, $"tensor '{prop.Name}' has unsupported dtype {dt.GetString()}");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(file, $"tensor '{prop.Name}' has no shape");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long n) || n < 0)
                throw Bad(file, $"tensor '{prop.Name}' has an invalid shape entry {d.GetRawText()}");
            shape[i++] = n;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(file, $"tensor '{prop.Name}' has no data_offsets pair");
        long begin = off[0].ValueKind == JsonValueKind.Number && off[0].TryGetInt64(out var b) ? b : -1;
        long end = off[1].ValueKind == JsonValueKind.Number && off[1].TryGetInt64(out var e) ? e : -1;
        if (begin < 0 || end < 0) throw Bad(file, $"tensor '{prop.Name}' has invalid data_offsets {off.GetRawText()}");
        return new Entry(prop.Name, dtype, shape, begin, end);
    }

    private static long ElementCount(long[] shape)
    {
        long n = 1;
        foreach (var s in shape) n = checked(n * s);
        return n;
    }

    private static InvalidDataException Bad(string file, string message) => new($"{file}: {message}");
}
