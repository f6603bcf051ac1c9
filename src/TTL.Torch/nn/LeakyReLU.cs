using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>x for x ≥ 0, negative_slope·x otherwise (torch.nn.LeakyReLU).</summary>
public sealed class LeakyReLU(double negative_slope = 0.01, bool inplace = false) : Module<Tensor, Tensor>
{
    public double negative_slope { get; } = negative_slope;
    public bool inplace { get; } = inplace;

    public override Tensor forward(Tensor input) =>
        inplace ? input.leaky_relu_(negative_slope).alias() : F.leaky_relu(input, negative_slope);

    public override string extra_repr() => $"negative_slope={Repr.Float(negative_slope)}{(inplace ? ", inplace=True" : "")}";
}
