namespace TTL.Torch.Modules;

/// <summary>Flattens dims start_dim..end_dim into one (torch.nn.Flatten; by default all but the batch dim).</summary>
public sealed class Flatten(long start_dim = 1, long end_dim = -1) : Module<Tensor, Tensor>
{
    public long start_dim { get; } = start_dim;
    public long end_dim { get; } = end_dim;

    public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);

    public override string extra_repr() => $"start_dim={start_dim}, end_dim={end_dim}";
}
