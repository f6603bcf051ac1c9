using System.Text;

namespace TTL.Torch.Modules;

/// <summary>
/// What Conv3d and ConvTranspose3d share (PyTorch's <c>_ConvNd</c>): the weight, the optional
/// bias, their default initialisation and the printed settings.
/// </summary>
public abstract class ConvBase3d : Module<Tensor, Tensor>
{
    public long in_channels { get; }
    public long out_channels { get; }
    public Size3 kernel_size { get; }
    public Size3 stride { get; }
    public Size3 padding { get; }
    public Size3 dilation { get; }
    public Size3 output_padding { get; }
    public long groups { get; }
    public string padding_mode { get; }

    public Tensor weight => GetParameter("weight")!;
    public Tensor? bias => GetParameter("bias");

    private protected ConvBase3d(long in_channels, long out_channels, Size3 kernel_size, Size3 stride, Size3 padding,
        Size3 dilation, bool transposed, Size3 output_padding, long groups, bool bias, string padding_mode,
        Device? device, DType dtype)
    {
        if (groups <= 0) throw new ArgumentException("groups must be a positive integer");
        if (in_channels % groups != 0) throw new ArgumentException("in_channels must be divisible by groups");
        if (out_channels % groups != 0) throw new ArgumentException("out_channels must be divisible by groups");
        if (padding_mode is not ("zeros" or "reflect" or "replicate"))
            throw new ArgumentException($"padding_mode must be one of zeros, reflect, replicate, got '{padding_mode}'");
        if (transposed && padding_mode != "zeros")
            throw new ArgumentException($"Only 'zeros' padding mode is supported for {GetName()}");
        this.in_channels = in_channels;
        this.out_channels = out_channels;
        this.kernel_size = kernel_size.AsTriple();
        this.stride = stride.AsTriple();
        this.padding = padding.AsTriple();
        this.dilation = dilation.AsTriple();
        this.output_padding = output_padding.AsTriple();
        this.groups = groups;
        this.padding_mode = padding_mode;
        long[] k = this.kernel_size.ToArray();
        long[] shape = transposed
            ? [in_channels, out_channels / groups, .. k]
            : [out_channels, in_channels / groups, .. k];
        register_parameter("weight", torch.empty(shape, dtype, device));
        register_parameter("bias", bias ? torch.empty([out_channels], dtype, device) : null);
        reset_parameters();
    }

    /// <summary>
    /// PyTorch's default: weight ~ kaiming_uniform(a = √5), i.e. U(±1/√fan_in); bias ~ U(±1/√fan_in),
    /// with fan_in computed from the weight (for a transposed convolution that is out_channels/groups × kernel volume).
    /// </summary>
    public void reset_parameters()
    {
        torch.nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        if (bias is { } b)
        {
            var (fanIn, _) = torch.nn.init.calculate_fan_in_and_fan_out(weight);
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            torch.nn.init.uniform_(b, -bound, bound);
        }
    }

    public override string extra_repr()
    {
        var s = new StringBuilder($"{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}");
        if (!padding.All(0)) s.Append($", padding={padding}");
        if (!dilation.All(1)) s.Append($", dilation={dilation}");
        if (!output_padding.All(0)) s.Append($", output_padding={output_padding}");
        if (groups != 1) s.Append($", groups={groups}");
        if (bias is null) s.Append(", bias=False");
        if (padding_mode != "zeros") s.Append($", padding_mode={padding_mode}");
        return s.ToString();
    }
}
