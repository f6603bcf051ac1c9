using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Gaussian error linear unit (torch.nn.GELU), exact ("none") or with the "tanh" approximation.</summary>
public sealed class GELU : Module<Tensor, Tensor>
{
    public string approximate { get; }

    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh")) throw new ArgumentException($"GELU: approximate must be 'none' or 'tanh', got '{approximate}'");
        this.approximate = approximate;
    }

    public override Tensor forward(Tensor input) => F.gelu(input, approximate);

    public override string extra_repr() => $"approximate={Repr.Str(approximate)}";
}
