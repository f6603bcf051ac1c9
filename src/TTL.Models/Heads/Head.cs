using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.Heads;

/// <summary>
/// The new, randomly initialised top of a (truncated) network, registered as <c>head</c>. It maps
/// the body's activation to the task's output; <see cref="Run"/> also gets the input's spatial size
/// because a segmentation head must return to it.
/// </summary>
public abstract class Head : Module<Tensor, Tensor>
{
    /// <summary>The head's output for <paramref name="features"/>; <paramref name="inputSize"/> is the network input's (D, H, W).</summary>
    public virtual Tensor Run(Tensor features, long[] inputSize) => call(features);
}
