using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Max pooling to a fixed output size (torch.nn.AdaptiveMaxPool3d).</summary>
public sealed class AdaptiveMaxPool3d(Size3 output_size) : Module<Tensor, Tensor>
{
    public Size3 output_size { get; } = output_size;

    public override Tensor forward(Tensor input) => F.adaptive_max_pool3d(input, output_size.ToArray());

    public override string extra_repr() => $"output_size={output_size}";
}
