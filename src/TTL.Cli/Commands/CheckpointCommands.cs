using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using TTL.Torch;
using TTL.Torch.Serialization;

namespace TTL.Cli.Commands;

/// <summary>`ttl checkpoint inspect|convert`: look into .pth/.pt/.safetensors files and turn PyTorch ones into safetensors.</summary>
public static class CheckpointCommands
{
    public static Command Create()
    {
        var cmd = new Command("checkpoint", "inspect and convert checkpoint files (PyTorch zip or legacy, safetensors)");
        cmd.Subcommands.Add(Inspect());
        cmd.Subcommands.Add(Convert());
        return cmd;
    }

    private static Command Inspect()
    {
        var file = new Argument<string>("FILE") { Description = "a .pth / .pt / .safetensors file (format detected from its content)" };
        var json = CommonOptions.Json();
        var cmd = new Command("inspect", "tensor names, shapes and dtypes, and the non-tensor values") { file, json };
        cmd.SetAction(pr =>
        {
            string path = pr.GetValue(file)!;
            var summary = Checkpoint.Inspect(path);
            if (pr.GetValue(json)) Console.Out.WriteLine(ToJson(path, summary));
            else PrintTable(path, summary);
            return CliApp.Ok;
        });
        return cmd;
    }

    private static Command Convert()
    {
        var input = new Argument<string>("IN") { Description = "checkpoint to read (PyTorch zip or legacy, or safetensors)" };
        var output = new Argument<string>("OUT") { Description = "safetensors file to write (atomically)" };
        var key = new Option<string?>("--key") { Description = "keep only the tensors under this dotted path and drop the path (e.g. state_dict)" };
        var strip = new Option<string?>("--strip-prefix") { Description = "remove this prefix from tensor names that start with it (e.g. module.)" };
        var cmd = new Command("convert", "convert a checkpoint's tensors to safetensors") { input, output, key, strip };
        cmd.SetAction(pr =>
        {
            string inPath = pr.GetValue(input)!, outPath = pr.GetValue(output)!;
            string name = Path.GetFileName(inPath);
            var contents = Checkpoint.Read(inPath);
            IReadOnlyList<TensorRecord> tensors = contents.Tensors;
            if (pr.GetValue(key) is { Length: > 0 } k) tensors = Checkpoint.Select(contents, k, name);
            if (pr.GetValue(strip) is { Length: > 0 } p) tensors = Checkpoint.StripPrefix(tensors, p);
            var clash = tensors.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
            if (clash is not null) throw new InvalidDataException($"{name}: two tensors would both be named '{clash.Key}'");
            Safetensors.Write(outPath, tensors, new Dictionary<string, string> { ["format"] = "pt" });
            long bytes = tensors.Sum(t => (long)t.Data.Length);
            Console.Out.WriteLine($"wrote {outPath}: {tensors.Count} tensors, {bytes} bytes of data (from {contents.Format}; non-tensor values are not carried)");
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>{"path","format","tensors":[{"name","shape","dtype"}],"values":{…}} as CLI.md specifies.</summary>
    public static string ToJson(string path, CheckpointSummary summary)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("path", path);
            w.WriteString("format", summary.Format);
            w.WriteStartArray("tensors");
            foreach (var t in summary.Tensors)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteStartArray("shape");
                foreach (var s in t.Shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteString("dtype", t.DType.Name());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("values");
            foreach (var (k, v) in summary.Values)
            {
                w.WritePropertyName(k);
                WriteValue(w, v);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null: w.WriteNullValue(); break;
            case bool b: w.WriteBooleanValue(b); break;
            case long n: w.WriteNumberValue(n); break;
            case BigInteger n: w.WriteRawValue(n.ToString(CultureInfo.InvariantCulture)); break;
            // JSON has no NaN or infinities; Python's spelling keeps them readable.
            case double d when !double.IsFinite(d): w.WriteStringValue(double.IsNaN(d) ? "nan" : d > 0 ? "inf" : "-inf"); break;
            case double d: w.WriteNumberValue(d); break;
            case string s: w.WriteStringValue(s); break;
            case byte[] bytes: w.WriteBase64StringValue(bytes); break;
            case IReadOnlyDictionary<string, object?> dict:
                w.WriteStartObject();
                foreach (var (k, item) in dict)
                {
                    w.WritePropertyName(k);
                    WriteValue(w, item);
                }
                w.WriteEndObject();
                break;
            case IEnumerable<object?> list:
                w.WriteStartArray();
                foreach (var item in list) WriteValue(w, item);
                w.WriteEndArray();
                break;
            default: w.WriteStringValue(v.ToString()); break;
        }
    }

    private static void PrintTable(string path, CheckpointSummary summary)
    {
        long elements = summary.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
        Console.Out.WriteLine($"{path}: {summary.Format}, {summary.Tensors.Count} tensors ({elements} elements), {summary.Values.Count} values");
        if (summary.Tensors.Count > 0)
        {
            int nameWidth = Math.Max(4, summary.Tensors.Max(t => t.Name.Length));
            int dtypeWidth = Math.Max(5, summary.Tensors.Max(t => t.DType.Name().Length));
            Console.Out.WriteLine($"{"name".PadRight(nameWidth)}  {"dtype".PadRight(dtypeWidth)}  shape");
            foreach (var t in summary.Tensors)
                Console.Out.WriteLine($"{t.Name.PadRight(nameWidth)}  {t.DType.Name().PadRight(dtypeWidth)}  [{string.Join(", ", t.Shape)}]");
        }
        if (summary.Values.Count > 0)
        {
            Console.Out.WriteLine();
            int width = summary.Values.Keys.Max(k => k.Length);
            foreach (var (k, v) in summary.Values)
                Console.Out.WriteLine($"{k.PadRight(width)}  {CompactJson(v)}");
        }
    }

    private static string CompactJson(object? v)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) WriteValue(w, v);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
