using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>y = x Wᵀ + b over the last dimension (torch.nn.Linear); W is [out_features, in_features].</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public long in_features { get; }
    public long out_features { get; }

    public Tensor weight => GetParameter("weight")!;
    public Tensor? bias => GetParameter("bias");

    public Linear(long in_features, long out_features, bool bias = true, Device? device = null, DType dtype = DType.Float32)
    {
        this.in_features = in_features;
        this.out_features = out_features;
        register_parameter("weight", torch.empty([out_features, in_features], dtype, device));
        register_parameter("bias", bias ? torch.empty([out_features], dtype, device) : null);
        reset_parameters();
    }

    /// <summary>PyTorch's default: weight ~ kaiming_uniform(a = √5) = U(±1/√in_features), bias ~ U(±1/√in_features).</summary>
    public void reset_parameters()
    {
        torch.nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        if (bias is { } b)
        {
            double bound = in_features > 0 ? 1 / Math.Sqrt(in_features) : 0;
            torch.nn.init.uniform_(b, -bound, bound);
        }
    }

    public override Tensor forward(Tensor input) => F.linear(input, weight, bias);

    public override string extra_repr() => $"in_features={in_features}, out_features={out_features}, bias={Repr.Bool(bias is not null)}";
}
