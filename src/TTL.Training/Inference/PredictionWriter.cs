using TTL.Imaging;
using TTL.Imaging.Resampling;
using TTL.Torch;
using Region = TTL.Imaging.CropPad.CropPad;

namespace TTL.Training.Inference;

/// <summary>
/// Brings a segmentation predicted on the preprocessed grid (reoriented, resampled, cropped) back
/// onto the original image's grid and writes it as NIfTI with the original affine and header codes,
/// so it overlays the scan it came from. Label maps are resampled nearest-neighbour, probability
/// maps trilinearly, both in world space (<see cref="Resample.OntoGridOf"/>).
/// </summary>
/// <remarks>
/// Original voxels whose centre lies within half a voxel of the prediction grid's edge take the
/// edge value (the grids of a resampled scan rarely end on the same centres); voxels further out,
/// outside the region the model saw (e.g. cropped away), are background: label 0, probability 1
/// for class 0 and 0 for the others.
/// </remarks>
public sealed class PredictionWriter
{
    /// <summary>Spatial shape (I, J, K) of the original image.</summary>
    public int[] Shape { get; }

    /// <summary>Voxel-to-world affine (RAS+) of the original image.</summary>
    public double[,] Affine { get; }

    /// <summary>The original image's header: its transform codes, units and description carry over.</summary>
    public NiftiHeader? Header { get; }

    public PredictionWriter(int[] shape, double[,] affine, NiftiHeader? header = null)
    {
        if (shape.Length != 3 || shape.Any(s => s < 1)) throw new ArgumentException("the original grid needs 3 positive sizes", nameof(shape));
        Shape = (int[])shape.Clone();
        Affine = (double[,])affine.Clone();
        Header = header;
    }

    /// <summary>The grid of an image file on disk (only its header is read).</summary>
    public static PredictionWriter ForImage(string originalPath)
    {
        var h = NiftiReader.ReadHeader(originalPath);
        return new PredictionWriter(h.SpatialShape, h.BestAffine(), h);
    }

    public static PredictionWriter ForVolume(Volume original) => new(original.Shape, original.Affine, original.Header);

    /// <summary>A label map (one channel of integer values) on the original grid.</summary>
    public Volume Labels(Volume labels)
    {
        if (labels.Channels != 1) throw new ArgumentException($"a label map has one channel, this one has {labels.Channels}", nameof(labels));
        var onto = Resample.ToGrid(labels, Shape, Affine, Interpolation.Nearest, BoundaryMode.Border);
        var inside = InsideMask(labels);
        var data = onto.Data;
        for (int v = 0; v < data.Length; v++) if (inside[v] == 0) data[v] = 0;
        return new Volume(data, 1, Shape, Affine) { Header = Header };
    }

    /// <summary>A probability map [classes, …] (class 0 = background) on the original grid.</summary>
    public Volume Probabilities(Volume probabilities)
    {
        var onto = Resample.ToGrid(probabilities, Shape, Affine, Interpolation.Linear, BoundaryMode.Border);
        var inside = InsideMask(probabilities);
        var data = onto.Data;
        long n = onto.VoxelCount;
        for (int c = 0; c < onto.Channels; c++)
        {
            float outside = c == 0 ? 1f : 0f;
            var channel = data.AsSpan((int)(c * n), (int)n);
            for (int v = 0; v < channel.Length; v++) if (inside[v] == 0) channel[v] = outside;
        }
        return new Volume(data, onto.Channels, Shape, Affine) { Header = Header };
    }

    /// <summary>
    /// Writes a label map on the original grid, atomically; uint8 when every label fits, int16 otherwise
    /// (or <paramref name="type"/>).
    /// </summary>
    public Volume WriteLabels(Volume labels, string path, NiftiDataType? type = null)
    {
        var v = Labels(labels);
        float max = v.Data.Length == 0 ? 0 : v.Data.Max();
        NiftiWriter.Write(v, path, new NiftiWriteOptions { DataType = type ?? (max <= byte.MaxValue ? NiftiDataType.UInt8 : NiftiDataType.Int16) });
        return v;
    }

    /// <summary>Writes a probability map on the original grid (float32, one volume per class along the 4th dimension), atomically.</summary>
    public Volume WriteProbabilities(Volume probabilities, string path)
    {
        var v = Probabilities(probabilities);
        NiftiWriter.Write(v, path, new NiftiWriteOptions { DataType = NiftiDataType.Float32 });
        return v;
    }

    /// <summary>An integer label tensor [I, J, K] or [1, I, J, K] (e.g. logits.argmax(0)) as a volume on <paramref name="affine"/>.</summary>
    public static Volume LabelVolume(Tensor labels, double[,] affine)
    {
        long[] s = labels.shape;
        if (s.Length == 4 && s[0] == 1) s = s[1..];
        if (s.Length != 3) throw new ArgumentException($"a label map is [I, J, K] or [1, I, J, K], got [{string.Join(", ", labels.shape)}]", nameof(labels));
        using var asFloat = labels.to(DType.Float32).cpu();
        return new Volume(asFloat.data<float>(), 1, [(int)s[0], (int)s[1], (int)s[2]], affine);
    }

    /// <summary>A probability tensor [classes, I, J, K] (e.g. softmax of the logits over dim 0) as a volume on <paramref name="affine"/>.</summary>
    public static Volume ProbabilityVolume(Tensor probabilities, double[,] affine)
    {
        long[] s = probabilities.shape;
        if (s.Length != 4) throw new ArgumentException($"a probability map is [classes, I, J, K], got [{string.Join(", ", s)}]", nameof(probabilities));
        using var asFloat = probabilities.to(DType.Float32).cpu();
        return new Volume(asFloat.data<float>(), (int)s[0], [(int)s[1], (int)s[2], (int)s[3]], affine);
    }

    /// <summary>
    /// 1 where an original voxel's centre lies in the prediction's field of view (within half a
    /// voxel of its grid), else 0: nearest lookup on the prediction grid padded by one voxel of zeros.
    /// </summary>
    private float[] InsideMask(Volume prediction)
    {
        var ones = new float[prediction.VoxelCount];
        Array.Fill(ones, 1f);
        var field = new Volume(ones, 1, prediction.Shape, prediction.Affine);
        var ring = Region.Region(field, [-1, -1, -1], [prediction.I + 2, prediction.J + 2, prediction.K + 2], 0f);
        return Resample.ToGrid(ring, Shape, Affine, Interpolation.Nearest, BoundaryMode.Border).Data;
    }
}
