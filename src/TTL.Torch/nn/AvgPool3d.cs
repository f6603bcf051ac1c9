using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>3-D average pooling (torch.nn.AvgPool3d); stride defaults to the kernel size.</summary>
public sealed class AvgPool3d(Size3 kernel_size, Size3? stride = null, Size3? padding = null, bool ceil_mode = false,
    bool count_include_pad = true, long? divisor_override = null) : Module<Tensor, Tensor>
{
    public Size3 kernel_size { get; } = kernel_size;
    public Size3 stride { get; } = stride ?? kernel_size;
    public Size3 padding { get; } = padding ?? 0;
    public bool ceil_mode { get; } = ceil_mode;
    public bool count_include_pad { get; } = count_include_pad;
    public long? divisor_override { get; } = divisor_override;

    public override Tensor forward(Tensor input) =>
        F.avg_pool3d(input, kernel_size.ToArray(), stride.ToArray(), padding.ToArray(), ceil_mode, count_include_pad, divisor_override);

    public override string extra_repr() => $"kernel_size={kernel_size}, stride={stride}, padding={padding}";
}
