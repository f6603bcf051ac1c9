using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>3-D max pooling (torch.nn.MaxPool3d); stride defaults to the kernel size.</summary>
public sealed class MaxPool3d(Size3 kernel_size, Size3? stride = null, Size3? padding = null, Size3? dilation = null,
    bool ceil_mode = false) : Module<Tensor, Tensor>
{
    public Size3 kernel_size { get; } = kernel_size;
    public Size3 stride { get; } = stride ?? kernel_size;
    public Size3 padding { get; } = padding ?? 0;
    public Size3 dilation { get; } = dilation ?? 1;
    public bool ceil_mode { get; } = ceil_mode;

    public override Tensor forward(Tensor input) =>
        F.max_pool3d(input, kernel_size.ToArray(), stride.ToArray(), padding.ToArray(), dilation.ToArray(), ceil_mode);

    public override string extra_repr() =>
        $"kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}, ceil_mode={Repr.Bool(ceil_mode)}";
}
