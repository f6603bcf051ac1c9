namespace TTL.Torch.Modules;

/// <summary>Returns its input (torch.nn.Identity); it stands in where a layer is removed, e.g. a dropped head.</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    // A new handle, so that caller and module never share one Tensor object to dispose.
    public override Tensor forward(Tensor input) => input.alias();
}
