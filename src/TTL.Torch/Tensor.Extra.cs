using TTL.Torch.Native;

namespace TTL.Torch;

// Operators needed by modules, initialisers and optimizers.
public sealed partial class Tensor
{
    /// <summary>
    /// Replaces this tensor's data (storage, shape, dtype, device) with <paramref name="new_data"/>'s,
    /// keeping the object and its autograd identity — how Module.to moves parameters that an
    /// optimizer or a caller already holds.
    /// </summary>
    public void set_data(Tensor new_data) => Aten.set_data.CallVoid(this, new_data);

    /// <summary>this = max(this, other), elementwise, without a temporary.</summary>
    public Tensor maximum_(Tensor other)
    {
        Aten.maximum_out.CallVoid(this, other, this);
        return this;
    }

    public Tensor leaky_relu_(double negative_slope = 0.01)
    {
        Aten.leaky_relu_.CallVoid(this, negative_slope);
        return this;
    }

    /// <summary>Adds an integer in place; integer tensors (counters such as num_batches_tracked) keep their dtype.</summary>
    public Tensor add_(long other)
    {
        Aten.add_s_.CallVoid(this, other);
        return this;
    }
}
