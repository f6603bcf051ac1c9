using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>
/// Softmax along <c>dim</c> (torch.nn.Softmax). Without a dim, PyTorch's legacy choice applies:
/// dim 0 for 0-, 1- and 3-D input, dim 1 otherwise.
/// </summary>
public sealed class Softmax(long? dim = null) : Module<Tensor, Tensor>
{
    public long? dim { get; } = dim;

    public override Tensor forward(Tensor input)
    {
        long d = dim ?? (input.dim() is 0 or 1 or 3 ? 0 : 1);
        return F.softmax(input, d);
    }

    public override string extra_repr() => $"dim={(dim is null ? "None" : dim.Value.ToString())}";
}
