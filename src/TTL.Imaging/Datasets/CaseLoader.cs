using TTL.Imaging.Pipelines;

namespace TTL.Imaging.Datasets;

/// <summary>
/// Reads a case into a <see cref="Sample"/>: the image files stacked as channels (each file may
/// itself hold several), and the label map when there is one. Channel files and label must share
/// one grid.
/// </summary>
public static class CaseLoader
{
    public static Sample Load(DatasetCase c, NiftiReadOptions? options = null)
    {
        var parts = c.Images.Select(f => NiftiReader.Read(f, options)).ToList();
        var image = parts.Count == 1 ? parts[0] : Stack(parts, c);
        var label = c.LabelFile is null ? null : NiftiReader.Read(c.LabelFile, options);
        if (label is not null && !label.Shape.SequenceEqual(image.Shape))
            throw new InvalidDataException($"{c.LabelFile}: shape {string.Join('×', label.Shape)} differs from its image's {string.Join('×', image.Shape)}");
        return new Sample(image, label, c.Id);
    }

    private static Volume Stack(List<Volume> parts, DatasetCase c)
    {
        var first = parts[0];
        for (int k = 1; k < parts.Count; k++)
            if (!parts[k].Shape.SequenceEqual(first.Shape))
                throw new InvalidDataException($"{c.Images[k]}: shape {string.Join('×', parts[k].Shape)} differs from {Path.GetFileName(c.Images[0])}'s {string.Join('×', first.Shape)}");
        int channels = parts.Sum(p => p.Channels);
        var data = new float[channels * first.VoxelCount];
        long offset = 0;
        foreach (var p in parts)
        {
            p.Data.CopyTo(data, offset);
            offset += p.Data.LongLength;
        }
        return new Volume(data, channels, first.Shape, first.Affine) { Header = first.Header };
    }

    /// <summary>The files a case's content depends on (images, then label), for cache keys.</summary>
    public static string?[] Files(DatasetCase c) => [.. c.Images, c.LabelFile];
}
