using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Zeroes whole channels of [N, C, D, H, W] with probability p in training (torch.nn.Dropout3d).</summary>
public sealed class Dropout3d : Module<Tensor, Tensor>
{
    public double p { get; }
    public bool inplace { get; }

    public Dropout3d(double p = 0.5, bool inplace = false)
    {
        if (p is < 0 or > 1) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {Repr.Float(p)}");
        this.p = p;
        this.inplace = inplace;
    }

    public override Tensor forward(Tensor input)
    {
        if (!inplace) return F.dropout3d(input, p, training);
        using var result = F.dropout3d(input, p, training);
        return input.copy_(result).alias();
    }

    public override string extra_repr() => $"p={Repr.Float(p)}, inplace={Repr.Bool(inplace)}";
}
