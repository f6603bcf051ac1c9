using TTL.Torch;

namespace TTL.Training.Data;

/// <summary>
/// A batch as tensors: images [N, C, I, J, K] float32 and targets — class indices [N] int64 or
/// label maps [N, I, J, K] int64. Disposing it releases both.
/// </summary>
public sealed class Batch : IDisposable
{
    public Tensor Images { get; }
    public Tensor Targets { get; }
    public IReadOnlyList<string> Ids { get; }

    private Batch(Tensor images, Tensor targets, IReadOnlyList<string> ids)
    {
        Images = images;
        Targets = targets;
        Ids = ids;
    }

    public int Count => Ids.Count;

    /// <summary>Stacks samples of one shape on <paramref name="device"/> (default: the CPU); a different shape is an error naming the case.</summary>
    public static Batch Collate(IReadOnlyList<PreparedSample> samples, Device? device = null)
    {
        var first = samples[0];
        long voxels = (long)first.Shape[0] * first.Shape[1] * first.Shape[2];
        long per = first.Channels * voxels;
        var images = new float[per * samples.Count];
        bool segmentation = first.LabelMap is not null;
        var targets = new long[segmentation ? voxels * samples.Count : samples.Count];
        for (int n = 0; n < samples.Count; n++)
        {
            var s = samples[n];
            if (s.Channels != first.Channels || !s.Shape.SequenceEqual(first.Shape))
                throw new InvalidDataException(
                    $"case {s.Id}: preprocessed to {s.Channels}×{string.Join('×', s.Shape)}, but {first.Id} is {first.Channels}×{string.Join('×', first.Shape)}; " +
                    "batched volumes need one shape (add a resize or center_crop_pad step to the pipeline, or set train.patch_size)");
            s.Image.CopyTo(images, n * per);
            if (segmentation)
                for (long v = 0; v < voxels; v++) targets[n * voxels + v] = (long)s.LabelMap![v];
            else targets[n] = s.ClassLabel ?? throw new InvalidDataException($"case {s.Id} has no class label");
        }
        var imageTensor = torch.tensor(images, samples.Count, first.Channels, first.Shape[0], first.Shape[1], first.Shape[2]);
        var targetTensor = segmentation
            ? torch.tensor(targets, samples.Count, first.Shape[0], first.Shape[1], first.Shape[2])
            : torch.tensor(targets, samples.Count);
        if (device is { IsCuda: true } d)
        {
            var (onImages, onTargets) = (imageTensor.to(d), targetTensor.to(d));
            imageTensor.Dispose();
            targetTensor.Dispose();
            (imageTensor, targetTensor) = (onImages, onTargets);
        }
        return new Batch(imageTensor, targetTensor, samples.Select(s => s.Id).ToList());
    }

    public void Dispose()
    {
        Images.Dispose();
        Targets.Dispose();
    }
}
