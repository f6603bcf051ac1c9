using TTL.Torch.Distributed;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>
/// Batch normalisation over [N, C, D, H, W] (torch.nn.BatchNorm3d). In training mode it normalises
/// with the batch statistics and updates the running ones (running = (1 − m)·running + m·batch, the
/// variance unbiased; with momentum null, m = 1 / num_batches_tracked); in eval mode it uses the
/// running statistics. With a <see cref="process_group"/> (set by
/// <c>torch.nn.SyncBatchNorm.convert_sync_batchnorm</c>) the training-mode statistics are those of
/// the global batch over all ranks, as torch.nn.SyncBatchNorm computes them.
/// </summary>
public sealed class BatchNorm3d : NormBase3d
{
    public BatchNorm3d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
        bool track_running_stats = true, Device? device = null, DType dtype = DType.Float32)
        : base(num_features, eps, momentum, affine, track_running_stats, device, dtype)
    {
    }

    /// <summary>The group whose ranks share batch statistics in training mode; null: this process's batch only.</summary>
    public ProcessGroup? process_group { get; set; }

    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        double factor = momentum ?? 0.0;
        if (training && track_running_stats)
        {
            var tracked = num_batches_tracked!;
            tracked.add_(1L);
            if (momentum is null) factor = 1.0 / tracked.item<long>();
        }
        if (training && process_group is { Size: > 1 } group) return SyncForward(input, group, factor);
        // Without running statistics the batch statistics are used in eval mode too.
        bool useBatchStats = training || running_mean is null;
        bool passStats = !training || track_running_stats;
        return F.batch_norm(input, passStats ? running_mean : null, passStats ? running_var : null, weight, bias,
            useBatchStats, factor, eps);
    }

    /// <summary>
    /// Batch norm over the global batch: two differentiable all-reduces, first of the per-channel
    /// sums (with the voxel count), then of the squared deviations from the global mean — the
    /// two-pass variance a single process computes, summed in float64 across ranks. Gradients
    /// flow back through both reductions to every rank's input.
    /// </summary>
    private Tensor SyncForward(Tensor input, ProcessGroup group, double factor)
    {
        using var scope = torch.NewDisposeScope();
        long c = input.shape[1];
        long[] dims = [0, 2, 3, 4];
        long[] channelShape = [1, c, 1, 1, 1];
        var count = torch.full([1], input.numel() / c, DType.Float64);
        var sums = torch.distributed.nn.functional.all_reduce(torch.cat([input.sum(dims).to(DType.Float64), count]), group);
        var n = sums.narrow(0, c, 1);
        var mean = (sums.narrow(0, 0, c) / n).to(input.dtype);
        var centred = input - mean.view(channelShape);
        var squares = torch.distributed.nn.functional.all_reduce((centred * centred).sum(dims).to(DType.Float64), group);
        var variance = squares / n;
        var y = centred * (variance + eps).rsqrt().to(input.dtype).view(channelShape);
        if (weight is not null) y = y * weight.view(channelShape) + bias!.view(channelShape);
        if (track_running_stats)
        {
            using var _ = torch.no_grad();
            double total = n.item<double>();
            running_mean!.mul_(1 - factor).add_(mean.detach(), factor);
            running_var!.mul_(1 - factor).add_((variance * (total / Math.Max(total - 1, 1))).to(input.dtype), factor);
        }
        return y.MoveToOuterDisposeScope();
    }
}
