using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Leaky ReLU with a learned slope, one per channel or shared (torch.nn.PReLU); the slope starts at <c>init</c>.</summary>
public sealed class PReLU : Module<Tensor, Tensor>
{
    public long num_parameters { get; }
    public Tensor weight => GetParameter("weight")!;

    public PReLU(long num_parameters = 1, double init = 0.25, Device? device = null, DType dtype = DType.Float32)
    {
        this.num_parameters = num_parameters;
        register_parameter("weight", torch.full([num_parameters], init, dtype, device));
    }

    public override Tensor forward(Tensor input) => F.prelu(input, weight);

    public override string extra_repr() => $"num_parameters={num_parameters}";
}
