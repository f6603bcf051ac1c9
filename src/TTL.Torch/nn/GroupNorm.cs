using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Group normalisation (torch.nn.GroupNorm): channels split into groups normalised together; per-channel affine.</summary>
public sealed class GroupNorm : Module<Tensor, Tensor>
{
    public long num_groups { get; }
    public long num_channels { get; }
    public double eps { get; }
    public bool affine { get; }

    public Tensor? weight => GetParameter("weight");
    public Tensor? bias => GetParameter("bias");

    public GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true, Device? device = null,
        DType dtype = DType.Float32)
    {
        if (num_channels % num_groups != 0) throw new ArgumentException("num_channels must be divisible by num_groups");
        this.num_groups = num_groups;
        this.num_channels = num_channels;
        this.eps = eps;
        this.affine = affine;
        register_parameter("weight", affine ? torch.ones([num_channels], dtype, device) : null);
        register_parameter("bias", affine ? torch.zeros([num_channels], dtype, device) : null);
    }

    public override Tensor forward(Tensor input) => F.group_norm(input, num_groups, weight, bias, eps);

    public override string extra_repr() => $"{num_groups}, {num_channels}, eps={Repr.Float(eps)}, affine={Repr.Bool(affine)}";
}
