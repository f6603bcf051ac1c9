namespace TTL.Training.Data;

/// <summary>
/// One training or validation item after preprocessing, still in managed memory: channel-first
/// voxels, and either a class index or a label map on the same grid. Tensors are made from these
/// on the training thread (<see cref="Batch"/>), so native allocation stays on one thread.
/// </summary>
public sealed record PreparedSample(string Id, float[] Image, int Channels, int[] Shape, int? ClassLabel, float[]? LabelMap);
