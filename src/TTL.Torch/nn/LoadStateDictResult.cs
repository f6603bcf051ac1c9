namespace TTL.Torch.Modules;

/// <summary>What <see cref="Module.load_state_dict(IReadOnlyDictionary{string, Tensor}, bool)"/> could not match.</summary>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys,
    IReadOnlyList<ShapeMismatch> ShapeMismatches)
{
    public bool IsClean => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>The report in PyTorch's wording, one problem kind per line.</summary>
    public override string ToString()
    {
        var lines = new List<string>();
        if (MissingKeys.Count > 0) lines.Add("Missing key(s) in state_dict: " + Quote(MissingKeys) + ".");
        if (UnexpectedKeys.Count > 0) lines.Add("Unexpected key(s) in state_dict: " + Quote(UnexpectedKeys) + ".");
        lines.AddRange(ShapeMismatches.Select(m => m.ToString()));
        return string.Join("\n", lines);
    }

    private static string Quote(IEnumerable<string> keys) => string.Join(", ", keys.Select(k => $"\"{k}\""));
}
