using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TTL.Imaging.Augmentation;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace TTL.Imaging.Pipelines;

/// <summary>
/// A list of named transforms, saved as YAML:
/// <code>
/// transforms:
/// - name: spacing
///   pixdim: [1.5, 1.5, 1.5]
/// - name: zscore
/// - name: random_flip
///   axes: [0, 1, 2]
/// </code>
/// The steps before the first random one form the deterministic part, whose output is cached
/// (<see cref="DeterministicHash"/> keys it); the rest runs per sample with a generator seeded from
/// the run seed and the sample id.
/// </summary>
public sealed class Pipeline(IReadOnlyList<Transform> steps)
{
    public IReadOnlyList<Transform> Steps { get; } = steps;

    public int DeterministicCount
    {
        get
        {
            int n = 0;
            while (n < Steps.Count && !Steps[n].IsRandom) n++;
            return n;
        }
    }

    public IEnumerable<Transform> DeterministicSteps => Steps.Take(DeterministicCount);
    public IEnumerable<Transform> RandomSteps => Steps.Skip(DeterministicCount);

    public Sample ApplyDeterministic(Sample s)
    {
        var rng = new Random(0);
        foreach (var t in DeterministicSteps) s = t.Apply(s, rng);
        return s;
    }

    /// <summary>Runs the per-sample part; the same (seed, sample id) gives the same result.</summary>
    public Sample ApplyRandom(Sample s, long seed)
    {
        var rng = new Random(SeedMix.Derive(seed, s.Id));
        foreach (var t in RandomSteps) s = t.Apply(s, rng);
        return s;
    }

    public Sample Apply(Sample s, long seed) => ApplyRandom(ApplyDeterministic(s), seed);

    /// <summary>
    /// SHA-256 (hex) of the deterministic steps' canonical text (names and settings, numbers in
    /// round-trip form): the part of the cache key that says what was done to a file.
    /// </summary>
    public string DeterministicHash()
    {
        var sb = new StringBuilder("ttl-pipeline-v1\n");
        foreach (var t in DeterministicSteps)
        {
            sb.Append(t.Name);
            foreach (var (k, v) in t.Parameters()) sb.Append(' ').Append(k).Append('=').Append(Canonical(v));
            sb.Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))).ToLowerInvariant();
    }

    private static string Canonical(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => "\"" + s + "\"",
        double[] a => "[" + string.Join(",", a.Select(x => Canonical(x))) + "]",
        int[] a => "[" + string.Join(",", a.Select(x => Canonical(x))) + "]",
        _ => throw new InvalidOperationException($"unexpected parameter type {v.GetType()}"),
    };

    public string ToYaml()
    {
        var list = new List<object>();
        foreach (var t in Steps)
        {
            var map = new OrderedDictionary<string, object> { ["name"] = t.Name };
            foreach (var (k, v) in t.Parameters()) map[k] = Yamlable(v);
            list.Add(map);
        }
        var root = new OrderedDictionary<string, object> { ["transforms"] = list };
        return new SerializerBuilder().WithEventEmitter(next => new FlowListEmitter(next)).Build().Serialize(root);
    }

    // Numbers go out as plain YAML scalars in round-trip form, lists in flow style [a, b, c].
    private static object Yamlable(object v) => v switch
    {
        double[] a => new FlowList(a.Select(x => (object)Yamlable(x)).ToList()),
        int[] a => new FlowList(a.Select(x => (object)x).ToList()),
        _ => v,
    };

    public static Pipeline FromYaml(string yaml)
    {
        object? root;
        try { root = new DeserializerBuilder().Build().Deserialize<object>(yaml); }
        catch (YamlDotNet.Core.YamlException e) { throw new FormatException($"not valid YAML: {e.Message}"); }
        if (root is not IDictionary<object, object?> top || !top.TryGetValue("transforms", out var list) || list is not IList<object?> items)
            throw new FormatException("a pipeline is a mapping with a 'transforms' list");
        var unknown = top.Keys.Select(k => k.ToString()).Where(k => k != "transforms").ToList();
        if (unknown.Count > 0) throw new FormatException($"unknown pipeline key(s) {string.Join(", ", unknown)}");
        var steps = new List<Transform>();
        for (int n = 0; n < items.Count; n++)
        {
            if (items[n] is not IDictionary<object, object?> m || !m.TryGetValue("name", out var name) || name is not string s)
                throw new FormatException($"transform {n + 1}: a mapping with a 'name' is expected");
            var values = new Dictionary<string, object?>();
            foreach (var (k, v) in m) if (k.ToString() != "name") values[k.ToString()!] = v;
            steps.Add(TransformRegistry.Read(s, values));
        }
        return new Pipeline(steps);
    }

    public static Pipeline Load(string path)
    {
        try { return FromYaml(File.ReadAllText(path)); }
        catch (FormatException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    /// <summary>A list that is written in flow style.</summary>
    private sealed class FlowList(List<object> items) : List<object>(items);

    private sealed class FlowListEmitter(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(SequenceStartEventInfo eventInfo, YamlDotNet.Core.IEmitter emitter)
        {
            if (eventInfo.Source.Value is FlowList) eventInfo.Style = YamlDotNet.Core.Events.SequenceStyle.Flow;
            base.Emit(eventInfo, emitter);
        }
    }
}
