using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Average pooling to a fixed output size (torch.nn.AdaptiveAvgPool3d); 1 gives global average pooling.</summary>
public sealed class AdaptiveAvgPool3d(Size3 output_size) : Module<Tensor, Tensor>
{
    public Size3 output_size { get; } = output_size;

    public override Tensor forward(Tensor input) => F.adaptive_avg_pool3d(input, output_size.ToArray());

    public override string extra_repr() => $"output_size={output_size}";
}
