using TTL.Torch;
using TTL.Torch.Serialization;

namespace TTL.Models.Checkpoints;

/// <summary>What happened to each key when pretrained weights were loaded into a (possibly truncated) body.</summary>
/// <param name="Loaded">Body keys filled from the file.</param>
/// <param name="Dropped">File keys of blocks above the cut (truncation removed them).</param>
/// <param name="Ignored">File keys that belong to no block of the architecture (the source's own head, e.g. MedicalNet's <c>conv_seg</c>).</param>
/// <param name="Unexpected">File keys inside a kept block that the network does not have (e.g. shortcut B weights for a shortcut-A network).</param>
/// <param name="Missing">Body keys the file lacks.</param>
/// <param name="Mismatched">Keys present on both sides with different shapes.</param>
/// <param name="NewHead">Head keys: always freshly initialised.</param>
public sealed record ImportReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Dropped, IReadOnlyList<string> Ignored,
    IReadOnlyList<string> Unexpected, IReadOnlyList<string> Missing, IReadOnlyList<string> Mismatched, IReadOnlyList<string> NewHead)
{
    /// <summary>True when the kept body was loaded completely.</summary>
    public bool BodyComplete => Missing.Count == 0 && Mismatched.Count == 0 && Unexpected.Count == 0;

    public override string ToString()
    {
        var lines = new List<string> { $"loaded {Loaded.Count} body tensors; dropped {Dropped.Count} (above the cut); ignored {Ignored.Count} (not part of the body); new head {NewHead.Count}" };
        if (Missing.Count > 0) lines.Add("missing from the file: " + string.Join(", ", Missing));
        if (Unexpected.Count > 0) lines.Add("unexpected in kept blocks: " + string.Join(", ", Unexpected));
        if (Mismatched.Count > 0) lines.Add("shape mismatches: " + string.Join("; ", Mismatched));
        if (Ignored.Count > 0) lines.Add("ignored: " + string.Join(", ", Ignored.Take(20)) + (Ignored.Count > 20 ? ", …" : ""));
        return string.Join("\n", lines);
    }
}

/// <summary>
/// Pretrained weights from a user's file (MedicalNet <c>.pth</c>, a toolkit checkpoint, safetensors):
/// the state dict is unwrapped from <c>state_dict</c> (or <c>model</c>), DataParallel's <c>module.</c>
/// prefix removed, and the result loaded strictly into the kept body of a <see cref="BlockNetwork"/>.
/// The head is never loaded.
/// </summary>
public static class PretrainedWeights
{
    private static readonly string[] Wrappers = ["state_dict.", "model_state_dict.", "model."];

    /// <summary>The file's state dict with wrappers and <c>module.</c> prefixes removed; the caller disposes the tensors.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        // A toolkit checkpoint (a trained run's best.ckpt) also holds optimizer state: its model
        // section is the state dict. Inspecting reads only the header.
        var tensors = Checkpoint.Inspect(path).Values.ContainsKey(ToolkitCheckpoint.FormatKey)
            ? ToolkitCheckpoint.Read(path).Section("model")
            : Checkpoint.Read(path).Tensors;
        return Normalize(tensors.Select(r => r.Name)).Select((name, i) => (name, tensors[i]))
            .ToDictionary(p => p.name, p => p.Item2.ToTensor());
    }

    /// <summary>Key names as the network knows them: unwrapped and without <c>module.</c>.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        foreach (var w in Wrappers)
            if (list.Count > 0 && list.All(k => k.StartsWith(w, StringComparison.Ordinal)))
            {
                list = list.Select(k => k[w.Length..]).ToList();
                break;
            }
        var stripped = list.Select(k => k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k).ToList();
        var duplicate = stripped.GroupBy(k => k).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"key '{duplicate.Key}' appears both with and without 'module.'");
        return stripped;
    }

    /// <summary>Reads <paramref name="path"/> and loads it into <paramref name="network"/>'s body (see the other overload).</summary>
    public static ImportReport LoadInto(BlockNetwork network, string path, bool strict = true)
    {
        var weights = Read(path);
        try
        {
            return LoadInto(network, weights, strict);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: {e.Message}");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Copies <paramref name="weights"/> into the kept body. When <paramref name="strict"/>, a body key
    /// missing from the file or a shape mismatch throws InvalidDataException (naming them) and nothing
    /// is copied. Keys of blocks above the cut are dropped; keys of no block are ignored; both reported. A file key inside a kept block that the
    /// network lacks is unexpected (strict: an error).
    /// </summary>
    public static ImportReport LoadInto(BlockNetwork network, IReadOnlyDictionary<string, Tensor> weights, bool strict = true)
    {
        var own = network.state_dict();
        try
        {
            var loaded = new List<string>();
            var missing = new List<string>();
            var mismatched = new List<string>();
            var head = new List<string>();
            var body = new Dictionary<string, Tensor>();
            foreach (var (key, t) in own)
            {
                if (key.StartsWith("head.", StringComparison.Ordinal)) { head.Add(key); continue; }
                if (!weights.TryGetValue(key, out var w))
                {
                    // Checkpoints older than PyTorch 0.4.1 (MedicalNet's) have no BN counters.
                    if (!key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) missing.Add(key);
                    continue;
                }
                if (!t.shape.AsSpan().SequenceEqual(w.shape))
                {
                    mismatched.Add($"{key}: file [{string.Join(", ", w.shape)}], network [{string.Join(", ", t.shape)}]");
                    continue;
                }
                body[key] = w;
                loaded.Add(key);
            }
            var dropped = new List<string>();
            var ignored = new List<string>();
            var unexpected = new List<string>();
            foreach (var key in weights.Keys.Where(k => !own.ContainsKey(k)))
            {
                var owner = network.OwnerOf(key);
                if (owner is null) ignored.Add(key);
                else if (owner.Index > network.KeptBlocks) dropped.Add(key);
                else unexpected.Add(key);
            }
            var report = new ImportReport(loaded, dropped, ignored, unexpected, missing, mismatched, head);
            if (strict && !report.BodyComplete)
                throw new InvalidDataException($"the weights do not fit the {network.Architecture} body at cut {network.Cut}:\n{report}");
            network.load_state_dict(body, strict: false);
            return report;
        }
        finally
        {
            foreach (var t in own.Values) t.Dispose();
        }
    }
}
