using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Layer normalisation over the trailing <c>normalized_shape</c> dimensions (torch.nn.LayerNorm).</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    public long[] normalized_shape { get; }
    public double eps { get; }
    public bool elementwise_affine { get; }

    public Tensor? weight => GetParameter("weight");
    public Tensor? bias => GetParameter("bias");

    public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null,
        DType dtype = DType.Float32)
    {
        this.normalized_shape = (long[])normalized_shape.Clone();
        this.eps = eps;
        this.elementwise_affine = elementwise_affine;
        register_parameter("weight", elementwise_affine ? torch.ones(normalized_shape, dtype, device) : null);
        register_parameter("bias", elementwise_affine ? torch.zeros(normalized_shape, dtype, device) : null);
    }

    public LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null,
        DType dtype = DType.Float32)
        : this([normalized_shape], eps, elementwise_affine, device, dtype)
    {
    }

    public override Tensor forward(Tensor input) => F.layer_norm(input, normalized_shape, weight, bias, eps);

    public override string extra_repr() =>
        $"{Repr.Tuple(normalized_shape)}, eps={Repr.Float(eps)}, elementwise_affine={Repr.Bool(elementwise_affine)}";
}
