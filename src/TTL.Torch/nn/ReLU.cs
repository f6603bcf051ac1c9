namespace TTL.Torch.Modules;

/// <summary>max(0, x) (torch.nn.ReLU); with inplace the input is overwritten (saves memory in deep nets).</summary>
public sealed class ReLU(bool inplace = false) : Module<Tensor, Tensor>
{
    public bool inplace { get; } = inplace;

    // In place returns a new handle to the overwritten input, so caller and module own separate objects.
    public override Tensor forward(Tensor input) => inplace ? input.relu_().alias() : input.relu();

    public override string extra_repr() => inplace ? "inplace=True" : "";
}
