using System.Globalization;

namespace TTL.Imaging.Pipelines;

/// <summary>
/// A transform's settings as read from YAML (scalars arrive as strings, lists as lists) with typed
/// getters that name the transform and key in every error, and that report keys nobody asked for,
/// so a misspelt option fails loudly instead of silently using the default.
/// </summary>
public sealed class TransformParameters
{
    private readonly IDictionary<string, object?> _values;
    private readonly HashSet<string> _used = [];

    public string Transform { get; }

    public TransformParameters(string transform, IDictionary<string, object?> values)
    {
        Transform = transform;
        _values = values;
    }

    private FormatException Bad(string key, string expected) =>
        new($"transform '{Transform}': '{key}' must be {expected}");

    private bool TryGet(string key, out object? value)
    {
        _used.Add(key);
        return _values.TryGetValue(key, out value) && value is not null;
    }

    public double Double(string key, double? fallback = null)
    {
        if (!TryGet(key, out var v)) return fallback ?? throw new FormatException($"transform '{Transform}': '{key}' is required");
        return ParseDouble(v, key);
    }

    public double? OptionalDouble(string key) => TryGet(key, out var v) ? ParseDouble(v, key) : null;

    private double ParseDouble(object? v, string key) =>
        v is string s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) ? d : throw Bad(key, "a number");

    public int Int(string key, int? fallback = null)
    {
        if (!TryGet(key, out var v)) return fallback ?? throw new FormatException($"transform '{Transform}': '{key}' is required");
        return v is string s && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw Bad(key, "an integer");
    }

    public bool Bool(string key, bool fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        return v is string s && bool.TryParse(s, out var b) ? b : throw Bad(key, "true or false");
    }

    public string String(string key, string? fallback = null)
    {
        if (!TryGet(key, out var v)) return fallback ?? throw new FormatException($"transform '{Transform}': '{key}' is required");
        return v as string ?? throw Bad(key, "a string");
    }

    /// <summary>A list of <paramref name="count"/> numbers; a single number stands for all of them.</summary>
    public double[] Doubles(string key, int count, double[]? fallback = null)
    {
        if (!TryGet(key, out var v)) return fallback ?? throw new FormatException($"transform '{Transform}': '{key}' is required");
        if (v is string) return Enumerable.Repeat(ParseDouble(v, key), count).ToArray();
        if (v is IList<object?> list && list.Count == count) return list.Select(x => ParseDouble(x, key)).ToArray();
        throw Bad(key, $"a number or a list of {count} numbers");
    }

    public int[] Ints(string key, int count, int[]? fallback = null)
    {
        var d = Doubles(key, count, fallback?.Select(x => (double)x).ToArray());
        return d.Select(x => x == Math.Floor(x) && Math.Abs(x) < int.MaxValue ? (int)x : throw Bad(key, "integers")).ToArray();
    }

    /// <summary>A list of any length (e.g. axes).</summary>
    public int[] IntList(string key, int[] fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v is string) return [Int(key)];
        if (v is IList<object?> list) return list.Select(x => x is string s && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw Bad(key, "a list of integers")).ToArray();
        throw Bad(key, "a list of integers");
    }

    /// <summary>Throws if the YAML holds keys the transform did not read.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new FormatException($"transform '{Transform}': unknown option(s) {string.Join(", ", unknown.Select(k => "'" + k + "'"))}");
    }
}
