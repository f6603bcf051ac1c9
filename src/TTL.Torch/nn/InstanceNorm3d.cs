using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>
/// Instance normalisation (torch.nn.InstanceNorm3d): each sample and channel is normalised over
/// its own D×H×W. With track_running_stats the running statistics are updated in training and
/// used in eval mode.
/// </summary>
public sealed class InstanceNorm3d : NormBase3d
{
    public InstanceNorm3d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = false,
        bool track_running_stats = false, Device? device = null, DType dtype = DType.Float32)
        : base(num_features, eps, momentum, affine, track_running_stats, device, dtype)
    {
    }

    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        return F.instance_norm(input, running_mean, running_var, weight, bias, training || !track_running_stats,
            momentum ?? 0.0, eps);
    }
}
