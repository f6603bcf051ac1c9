namespace TTL.Torch.Modules;

/// <summary>A state-dict key whose tensor has another shape than the module's.</summary>
public sealed record ShapeMismatch(string Key, long[] CheckpointShape, long[] ModelShape)
{
    public override string ToString() =>
        $"size mismatch for {Key}: copying a param with shape [{string.Join(", ", CheckpointShape)}] from checkpoint, " +
        $"the shape in current model is [{string.Join(", ", ModelShape)}].";
}
