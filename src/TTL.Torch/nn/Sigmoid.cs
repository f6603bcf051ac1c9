namespace TTL.Torch.Modules;

/// <summary>1 / (1 + e⁻ˣ) (torch.nn.Sigmoid).</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor input) => input.sigmoid();
}
