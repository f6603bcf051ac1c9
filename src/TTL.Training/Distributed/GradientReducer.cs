using TTL.Torch;
using TTL.Torch.Distributed;

namespace TTL.Training.Distributed;

/// <summary>
/// Sums the gradients of the trainable parameters over the ranks after backward, in buckets of
/// about <c>bucketBytes</c>: each bucket is flattened into one tensor and all bucket all-reduces
/// are started before the first is waited on, so Gloo's threads move one bucket while the next
/// is packed. Buckets follow the reverse parameter order (the order backward produces gradients,
/// as in PyTorch's DDP) and hold one dtype each. A parameter without a gradient on this rank
/// contributes zeros (and receives the others' sum).
/// </summary>
public sealed class GradientReducer
{
    private readonly ProcessGroup _group;
    private readonly List<Tensor[]> _buckets = [];

    public GradientReducer(ProcessGroup group, IReadOnlyList<Tensor> parameters, long bucketBytes)
    {
        _group = group;
        var current = new List<Tensor>();
        long bytes = 0;
        DType? dtype = null;
        foreach (var p in parameters.Reverse())
        {
            long size = p.numel() * p.dtype.ElementSize();
            if (current.Count > 0 && (bytes + size > bucketBytes || p.dtype != dtype))
            {
                _buckets.Add([.. current]);
                current.Clear();
                bytes = 0;
            }
            current.Add(p);
            bytes += size;
            dtype = p.dtype;
        }
        if (current.Count > 0) _buckets.Add([.. current]);
    }

    public int BucketCount => _buckets.Count;

    /// <summary>Replaces every parameter's gradient by its sum over the ranks.</summary>
    public void AllReduce()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flats = new Tensor[_buckets.Count];
        var works = new Work[_buckets.Count];
        try
        {
            for (int b = 0; b < _buckets.Count; b++)
            {
                flats[b] = torch.cat(_buckets[b].Select(p => (p.grad ?? torch.zeros_like(p)).reshape(-1)).ToArray());
                works[b] = _group.allreduce_async(flats[b]);
            }
            for (int b = 0; b < _buckets.Count; b++)
            {
                works[b].wait();
                long offset = 0;
                foreach (var p in _buckets[b])
                {
                    long n = p.numel();
                    var summed = flats[b].narrow(0, offset, n).view(p.shape);
                    if (p.grad is Tensor g) g.copy_(summed);
                    else p.grad = summed.clone();
                    offset += n;
                }
            }
        }
        finally
        {
            foreach (var w in works) w?.Dispose();
        }
    }
}
