using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>
/// Batch normalisation over [N, C, D, H, W] (torch.nn.BatchNorm3d). In training mode it normalises
/// with the batch statistics and updates the running ones (running = (1 − m)·running + m·batch, the
/// variance unbiased; with momentum null, m = 1 / num_batches_tracked); in eval mode it uses the
/// running statistics.
/// </summary>
public sealed class BatchNorm3d : NormBase3d
{
    public BatchNorm3d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
        bool track_running_stats = true, Device? device = null, DType dtype = DType.Float32)
        : base(num_features, eps, momentum, affine, track_running_stats, device, dtype)
    {
    }

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
        // Without running statistics the batch statistics are used in eval mode too.
        bool useBatchStats = training || running_mean is null;
        bool passStats = !training || track_running_stats;
        return F.batch_norm(input, passStats ? running_mean : null, passStats ? running_var : null, weight, bias,
            useBatchStats, factor, eps);
    }
}
