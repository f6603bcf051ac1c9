namespace TTL.Torch.Modules;

/// <summary>
/// A module with a typed forward pass (TorchSharp's <c>Module&lt;Tensor, Tensor&gt;</c>). Callers use
/// <see cref="call"/>, which runs <see cref="forward"/> and then the forward hooks; containers call
/// their children the same way, so hooks fire on any module of a network.
/// </summary>
public abstract class Module<TIn, TOut> : Module
{
    public abstract TOut forward(TIn input);

    public TOut call(TIn input) => RunForwardHooks(input, forward(input));
}
