namespace TTL.Imaging.Datasets;

/// <summary>What the labels of a dataset are.</summary>
public enum DatasetTask
{
    /// <summary>One integer class per case.</summary>
    Classification,

    /// <summary>A label map per case on the image's grid.</summary>
    Segmentation,

    /// <summary>Images without labels (inference, preprocessing).</summary>
    ImagesOnly,
}

/// <summary>
/// One case: its image file(s) — one per channel, or a single 4-D file whose extra dimension holds
/// the channels —, and either a label map file (segmentation) or a class index (classification).
/// <see cref="Split"/> is the split a CSV's split column or a test list assigned ("train", "val",
/// "test"), or null.
/// </summary>
public sealed record DatasetCase(string Id, IReadOnlyList<string> Images, string? LabelFile = null, int? ClassLabel = null, string? Split = null);

/// <summary>
/// A dataset as described on disk (MSD dataset.json, an nnU-Net folder, or a classification CSV),
/// with absolute file paths. <see cref="Labels"/> maps label values (segmentation) or class
/// indices (classification) to names.
/// </summary>
public sealed record Dataset(
    string Source,
    string Format,
    DatasetTask Task,
    IReadOnlyList<DatasetCase> Training,
    IReadOnlyList<DatasetCase> Test,
    IReadOnlyDictionary<int, string> Labels,
    IReadOnlyList<string> ChannelNames)
{
    /// <summary>Number of classes (classification) or label values including background (segmentation).</summary>
    public int ClassCount => Labels.Count == 0 ? 0 : Labels.Keys.Max() + 1;
}
