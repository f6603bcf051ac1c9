using System.Text.Json;
using System.Text.Json.Nodes;

namespace TTL.Training.Runs;

/// <summary>
/// The files of a run directory, laid out like nnU-Net's: <c>config.yaml</c> (resolved),
/// <c>pipeline.yaml</c>, <c>versions.json</c>, <c>metrics.jsonl</c>, <c>best.ckpt</c>,
/// <c>last.ckpt</c>, <c>summary.json</c>, <c>learning_curve.svg</c>. Every file is written under a
/// temporary name and renamed into place.
/// </summary>
public sealed class RunFiles(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);
    public string Config => Path.Combine(Directory, "config.yaml");
    public string Pipeline => Path.Combine(Directory, "pipeline.yaml");
    public string Versions => Path.Combine(Directory, "versions.json");
    public string Metrics => Path.Combine(Directory, "metrics.jsonl");
    public string Best => Path.Combine(Directory, "best.ckpt");
    public string Last => Path.Combine(Directory, "last.ckpt");
    public string Summary => Path.Combine(Directory, "summary.json");
    public string Curve => Path.Combine(Directory, "learning_curve.svg");
    /// <summary>The best checkpoint's metrics on the dataset's labelled test cases (train.evaluate_test).</summary>
    public string Test => Path.Combine(Directory, "test.json");
    /// <summary>The per-case table behind <see cref="Test"/>.</summary>
    public string TestCases => Path.Combine(Directory, "test_cases.csv");

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes a text file atomically: a temporary name in the same folder, then a rename; no leftover on failure.</summary>
    public static void WriteText(string path, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string tmp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    public static void WriteJson(string path, object value) => WriteText(path, JsonSerializer.Serialize(value, Json) + "\n");

    /// <summary>Rewrites metrics.jsonl with the given lines (atomic, so a resumed run never sees half a line).</summary>
    public void WriteMetrics(IEnumerable<JsonObject> lines) =>
        WriteText(Metrics, string.Concat(lines.Select(l => l.ToJsonString() + "\n")));

    public IReadOnlyList<JsonObject> ReadMetrics() =>
        File.Exists(Metrics)
            ? File.ReadAllLines(Metrics).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList()
            : [];
}
