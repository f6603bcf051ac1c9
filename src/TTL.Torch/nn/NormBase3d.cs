namespace TTL.Torch.Modules;

/// <summary>
/// What BatchNorm3d and InstanceNorm3d share (PyTorch's <c>_NormBase</c>): the affine weight and
/// bias (ones, zeros), the running statistics (mean 0, variance 1, int64 num_batches_tracked) and
/// the printed settings. A momentum of null means a cumulative moving average.
/// </summary>
public abstract class NormBase3d : Module<Tensor, Tensor>
{
    public long num_features { get; }
    public double eps { get; }
    public double? momentum { get; }
    public bool affine { get; }
    public bool track_running_stats { get; }

    public Tensor? weight => GetParameter("weight");
    public Tensor? bias => GetParameter("bias");
    public Tensor? running_mean => GetBuffer("running_mean");
    public Tensor? running_var => GetBuffer("running_var");
    public Tensor? num_batches_tracked => GetBuffer("num_batches_tracked");

    private protected NormBase3d(long num_features, double eps, double? momentum, bool affine, bool track_running_stats,
        Device? device, DType dtype)
    {
        this.num_features = num_features;
        this.eps = eps;
        this.momentum = momentum;
        this.affine = affine;
        this.track_running_stats = track_running_stats;
        register_parameter("weight", affine ? torch.empty([num_features], dtype, device) : null);
        register_parameter("bias", affine ? torch.empty([num_features], dtype, device) : null);
        register_buffer("running_mean", track_running_stats ? torch.zeros([num_features], dtype, device) : null);
        register_buffer("running_var", track_running_stats ? torch.ones([num_features], dtype, device) : null);
        register_buffer("num_batches_tracked", track_running_stats ? torch.zeros([], DType.Int64, device) : null);
        reset_parameters();
    }

    public void reset_running_stats()
    {
        if (!track_running_stats) return;
        using var _ = torch.no_grad();
        running_mean!.zero_();
        running_var!.fill_(1);
        num_batches_tracked!.zero_();
    }

    public void reset_parameters()
    {
        reset_running_stats();
        if (!affine) return;
        torch.nn.init.ones_(weight!);
        torch.nn.init.zeros_(bias!);
    }

    protected void CheckInput(Tensor input)
    {
        if (input.dim() != 5) throw new ArgumentException($"{GetName()}: expected 5D input [N, C, D, H, W], got {input.dim()}D");
    }

    protected override bool AcceptsMissingState(string name) => name == "num_batches_tracked";

    protected override void ResetMissingState(string name) => num_batches_tracked?.zero_();

    public override string extra_repr() =>
        $"{num_features}, eps={Repr.Float(eps)}, momentum={Repr.Float(momentum)}, affine={Repr.Bool(affine)}, " +
        $"track_running_stats={Repr.Bool(track_running_stats)}";
}
