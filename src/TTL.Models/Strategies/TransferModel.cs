using TTL.Models.Checkpoints;
using TTL.Torch;
using TTL.Torch.Modules;
using TTL.Torch.Optim;

namespace TTL.Models.Strategies;

/// <summary>Parameters trained at one learning-rate multiplier (<c>body</c> or <c>head</c>).</summary>
public sealed record ParameterGroup(string Name, IReadOnlyList<(string Name, Tensor Parameter)> Parameters, double LrMultiplier);

/// <summary>
/// A strategy's second phase (two-phase fine-tuning): after <see cref="AfterEpochs"/> epochs the
/// parameters of <see cref="Thaw"/> start training, and the optimizer becomes SGD at
/// <see cref="LrFactor"/> × the schedule's learning rate.
/// </summary>
public sealed record SecondPhase(int AfterEpochs, double LrFactor, ParameterGroup Thaw);

/// <summary>
/// What a strategy produces: the network (body + new head), its trainable parameter groups, the
/// names of the frozen parameters (requires_grad off, in no group), and how the pretrained
/// weights were used. Disposing it disposes the network.
/// </summary>
public sealed class TransferModel : IDisposable
{
    public TransferModel(Strategy strategy, BlockNetwork network, IReadOnlyList<ParameterGroup> groups, IReadOnlyList<string> frozen,
        ImportReport? import, SecondPhase? secondPhase = null)
    {
        Strategy = strategy;
        Network = network;
        Groups = groups;
        Frozen = frozen;
        Import = import;
        SecondPhase = secondPhase;
    }

    /// <summary>The phase that follows the first (two-phase fine-tuning), or null.</summary>
    public SecondPhase? SecondPhase { get; }

    /// <summary>Whether <see cref="BeginSecondPhase"/> has run.</summary>
    public bool InSecondPhase { get; private set; }

    /// <summary>
    /// Thaws the second phase's parameters: they train from now on (in the body group, their
    /// normalisation layers back in training mode), and only the parameters still frozen stay in
    /// <see cref="Frozen"/>.
    /// </summary>
    public void BeginSecondPhase()
    {
        if (SecondPhase is null) throw new InvalidOperationException($"strategy {Strategy} has a single phase");
        if (InSecondPhase) return;
        foreach (var (_, p) in SecondPhase.Thaw.Parameters) p.requires_grad = true;
        var thawed = SecondPhase.Thaw.Parameters.Select(p => p.Name).ToHashSet();
        Frozen = Frozen.Where(n => !thawed.Contains(n)).ToList();
        Groups = Groups.Select(g => g.Name == SecondPhase.Thaw.Name ? g with { Parameters = [.. g.Parameters, .. SecondPhase.Thaw.Parameters] } : g).ToList();
        InSecondPhase = true;
    }

    public Strategy Strategy { get; }

    public BlockNetwork Network { get; }

    public IReadOnlyList<ParameterGroup> Groups { get; private set; }

    public IReadOnlyList<string> Frozen { get; private set; }

    /// <summary>How the pretrained file was loaded (null for scratch and meanvar, which copy no tensor).</summary>
    public ImportReport? Import { get; }

    /// <summary>Optimizer parameter groups, each at <paramref name="lr"/> × its multiplier.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups(double lr) =>
        Groups.Where(g => g.Parameters.Count > 0).Select(g => new ParamGroup(g.Parameters.Select(p => p.Parameter), lr * g.LrMultiplier)).ToList();

    /// <summary>
    /// Training or eval mode. In training mode the normalisation layers whose parameters are all
    /// frozen stay in eval mode, so a frozen block keeps its pretrained running statistics too.
    /// </summary>
    public void SetTraining(bool training)
    {
        Network.train(training);
        if (!training || Frozen.Count == 0) return;
        foreach (var (_, m) in Network.named_modules())
            if (m is NormBase3d norm && norm.parameters().Any() && norm.parameters().All(p => !p.requires_grad))
                norm.eval();
    }

    public void Dispose() => Network.Dispose();
}
