using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TTL.Imaging.Datasets;

/// <summary>
/// Reads a dataset description: an MSD <c>dataset.json</c> (training entries with an image and a
/// label that is a file (segmentation) or an integer (classification); test entries), an nnU-Net
/// folder (<c>imagesTr/CASE_0000.nii.gz</c>… per channel, <c>labelsTr/CASE.nii.gz</c>, a
/// dataset.json with <c>channel_names</c>, <c>labels</c> and <c>file_ending</c>), or a CSV with
/// <c>image,label[,split]</c> columns for classification (labels are integers or class names).
/// Paths are relative to the description's folder. Every problem is an InvalidDataException naming
/// the file.
/// </summary>
public static class DatasetReader
{
    public static Dataset Open(string path)
    {
        if (Directory.Exists(path))
        {
            string json = Path.Combine(path, "dataset.json");
            if (File.Exists(json)) return Open(json);
            throw new InvalidDataException($"{path}: no dataset.json in this folder");
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return FromCsv(path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return FromJson(path);
        throw new InvalidDataException($"{path}: expected a dataset.json, a .csv or a folder holding a dataset.json");
    }

    private static JsonObject ParseJson(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: the top level is not a JSON object");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
    }

    private static Dataset FromJson(string path)
    {
        var root = ParseJson(path);
        return root.ContainsKey("channel_names") || root.ContainsKey("file_ending") ? FromNnUnet(path, root) : FromMsd(path, root);
    }

    private static Dataset FromMsd(string path, JsonObject root)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var training = new List<DatasetCase>();
        bool anyFileLabel = false, anyClassLabel = false;
        if (root["training"] is JsonArray tr)
            foreach (var e in tr)
            {
                if (e is not JsonObject o || o["image"] is not JsonValue img)
                    throw new InvalidDataException($"{Name(path)}: a training entry has no \"image\"");
                string? split = o["split"] is JsonValue sp ? sp.GetValue<string>() : null;
                training.Add(MsdCase(path, dir, "training", img, o["label"], split, ref anyFileLabel, ref anyClassLabel));
            }
        // Test entries are image paths (MSD) or objects; an object may carry a label (a labelled held-out set).
        var test = new List<DatasetCase>();
        if (root["test"] is JsonArray ts)
            foreach (var e in ts)
            {
                var img = e as JsonValue ?? (e as JsonObject)?["image"] as JsonValue;
                if (img is null) throw new InvalidDataException($"{Name(path)}: a test entry has no image path");
                test.Add(MsdCase(path, dir, "test", img, (e as JsonObject)?["label"], "test", ref anyFileLabel, ref anyClassLabel));
            }
        if (anyFileLabel && anyClassLabel) throw new InvalidDataException($"{Name(path)}: labels mix files and class indices");
        var labels = LabelMap(path, root["labels"], namesAreKeys: false);
        var channels = root["modality"] is JsonObject m ? m.OrderBy(kv => ParseIndex(path, kv.Key)).Select(kv => kv.Value?.ToString() ?? "").ToList() : new List<string>();
        var task = anyFileLabel ? DatasetTask.Segmentation : anyClassLabel ? DatasetTask.Classification : DatasetTask.ImagesOnly;
        if (task == DatasetTask.Classification && labels.Count == 0)
            labels = training.Select(c => c.ClassLabel!.Value).Distinct().Order().ToDictionary(k => k, k => k.ToString(CultureInfo.InvariantCulture));
        return Finish(new Dataset(Path.GetFullPath(path), "msd", task, training, test, labels, channels));
    }

    private static DatasetCase MsdCase(string path, string dir, string section, JsonValue img, JsonNode? label, string? split,
        ref bool anyFileLabel, ref bool anyClassLabel)
    {
        string image = Resolve(dir, img.GetValue<string>());
        string? labelFile = null;
        int? cls = null;
        switch (label)
        {
            case null: break;
            case JsonValue v when v.TryGetValue<string>(out var s): labelFile = Resolve(dir, s); anyFileLabel = true; break;
            case JsonValue v when v.TryGetValue<int>(out var k): cls = k; anyClassLabel = true; break;
            default: throw new InvalidDataException($"{Name(path)}: {section} entry {img} has a label that is neither a file nor an integer");
        }
        return new DatasetCase(CaseId(image), [image], labelFile, cls, split);
    }

    private static Dataset FromNnUnet(string path, JsonObject root)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string ending = root["file_ending"]?.GetValue<string>() ?? ".nii.gz";
        var channelNames = root["channel_names"] is JsonObject cn
            ? cn.OrderBy(kv => ParseIndex(path, kv.Key)).Select(kv => kv.Value?.ToString() ?? "").ToList()
            : throw new InvalidDataException($"{Name(path)}: nnU-Net dataset.json without \"channel_names\"");
        var labels = LabelMap(path, root["labels"], namesAreKeys: true);
        var training = Collect(Path.Combine(dir, "imagesTr"), ending, channelNames.Count, path)
            .Select(c => c with { LabelFile = Path.Combine(dir, "labelsTr", c.Id + ending) }).ToList();
        var test = Directory.Exists(Path.Combine(dir, "imagesTs"))
            ? Collect(Path.Combine(dir, "imagesTs"), ending, channelNames.Count, path).Select(c => c with { Split = "test" }).ToList()
            : new List<DatasetCase>();
        return Finish(new Dataset(Path.GetFullPath(path), "nnunet", DatasetTask.Segmentation, training, test, labels, channelNames));
    }

    /// <summary>Groups CASE_XXXX files into cases with one file per channel.</summary>
    private static List<DatasetCase> Collect(string folder, string ending, int channels, string path)
    {
        if (!Directory.Exists(folder)) throw new InvalidDataException($"{Name(path)}: {folder} does not exist");
        var byCase = new SortedDictionary<string, SortedDictionary<int, string>>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(folder, "*" + ending))
        {
            string stem = Path.GetFileName(f)[..^ending.Length];
            int us = stem.LastIndexOf('_');
            if (us < 0 || !int.TryParse(stem.AsSpan(us + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int ch) || stem.Length - us - 1 != 4)
                throw new InvalidDataException($"{Path.GetFileName(f)}: nnU-Net image names end in _XXXX (the channel), e.g. case_0000{ending}");
            string id = stem[..us];
            if (!byCase.TryGetValue(id, out var chans)) byCase[id] = chans = new SortedDictionary<int, string>();
            chans[ch] = f;
        }
        var cases = new List<DatasetCase>();
        foreach (var (id, chans) in byCase)
        {
            for (int c = 0; c < channels; c++)
                if (!chans.ContainsKey(c)) throw new InvalidDataException($"{id}_{c:D4}{ending}: missing channel {c} of case {id} in {folder}");
            if (chans.Count != channels) throw new InvalidDataException($"{Path.GetFileName(chans.Values.Last())}: case {id} has {chans.Count} channel files, dataset.json declares {channels}");
            cases.Add(new DatasetCase(id, chans.Values.ToList()));
        }
        return cases;
    }

    private static Dataset FromCsv(string path)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0) throw new InvalidDataException($"{Name(path)}: empty CSV");
        var header = SplitCsv(lines[0]).Select(h => h.Trim().ToLowerInvariant()).ToList();
        int iImage = header.IndexOf("image"), iLabel = header.IndexOf("label"), iSplit = header.IndexOf("split");
        if (iImage < 0 || iLabel < 0) throw new InvalidDataException($"{Name(path)}: the header needs 'image' and 'label' columns, found '{lines[0]}'");
        var rows = new List<(string Image, string Label, string? Split, int Line)>();
        for (int r = 1; r < lines.Count; r++)
        {
            var f = SplitCsv(lines[r]);
            if (f.Count != header.Count) throw new InvalidDataException($"{Name(path)}: line {r + 1} has {f.Count} fields, the header has {header.Count}");
            rows.Add((f[iImage].Trim(), f[iLabel].Trim(), iSplit >= 0 ? f[iSplit].Trim().ToLowerInvariant() : null, r + 1));
        }
        // Integer labels are class indices; otherwise class names, numbered in sorted order.
        bool numeric = rows.All(r => int.TryParse(r.Label, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0);
        var names = numeric
            ? rows.Select(r => int.Parse(r.Label, CultureInfo.InvariantCulture)).Distinct().Order().ToDictionary(k => k, k => k.ToString(CultureInfo.InvariantCulture))
            : rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).Select((n, i) => (n, i)).ToDictionary(p => p.i, p => p.n);
        var index = names.ToDictionary(kv => kv.Value, kv => kv.Key);
        var training = new List<DatasetCase>();
        var test = new List<DatasetCase>();
        foreach (var (image, label, split, line) in rows)
        {
            if (split is not null && split is not ("train" or "val" or "test"))
                throw new InvalidDataException($"{Name(path)}: line {line}: split '{split}' is not train, val or test");
            string file = Resolve(dir, image);
            var c = new DatasetCase(CaseId(file), [file], ClassLabel: index[label], Split: split);
            (split == "test" ? test : training).Add(c);
        }
        return Finish(new Dataset(Path.GetFullPath(path), "csv", DatasetTask.Classification, training, test, names, []));
    }

    private static Dataset Finish(Dataset d)
    {
        if (d.Training.Count == 0 && d.Test.Count == 0) throw new InvalidDataException($"{Name(d.Source)}: the dataset has no cases");
        var dup = d.Training.Concat(d.Test).GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"{Name(d.Source)}: case name '{dup.Key}' occurs twice");
        return d;
    }

    /// <summary>A label map from {"0": "background", …} (MSD) or {"background": 0, …} (nnU-Net).</summary>
    private static Dictionary<int, string> LabelMap(string path, JsonNode? node, bool namesAreKeys)
    {
        var map = new Dictionary<int, string>();
        if (node is not JsonObject o) return map;
        foreach (var (k, v) in o)
        {
            if (namesAreKeys)
            {
                if (v is not JsonValue jv || !jv.TryGetValue<int>(out int value))
                    throw new InvalidDataException($"{Name(path)}: label '{k}' must map to one integer (region labels are not supported)");
                map[value] = k;
            }
            else map[ParseIndex(path, k)] = v?.ToString() ?? "";
        }
        return map;
    }

    private static int ParseIndex(string path, string key) =>
        int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i
            : throw new InvalidDataException($"{Name(path)}: '{key}' is not a non-negative integer key");

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cur.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(ch);
        }
        fields.Add(cur.ToString());
        return fields;
    }

    private static string Resolve(string dir, string p) => Path.GetFullPath(Path.Combine(dir, p));

    private static string Name(string path) => Path.GetFileName(path);

    /// <summary>The case name of an image file: its file name without .nii / .nii.gz.</summary>
    public static string CaseId(string path)
    {
        string name = Path.GetFileName(path);
        foreach (var ext in new[] { ".nii.gz", ".nii", ".hdr.gz", ".hdr", ".img.gz", ".img" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return name[..^ext.Length];
        return Path.GetFileNameWithoutExtension(name);
    }
}
