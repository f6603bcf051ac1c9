using TTL.Models.Checkpoints;
using TTL.Models.Heads;
using TTL.Models.UNets;
using TTL.Torch;

namespace TTL.Models.Strategies;

/// <summary>What the new head predicts.</summary>
public enum TaskKind
{
    /// <summary>One label per volume: global average pooling, optional dropout, linear layer.</summary>
    Classification,
    /// <summary>One label per voxel: a U-Net's 1³ output convolution, or a light decoder on other bodies.</summary>
    Segmentation,
}

/// <summary>
/// Builds every strategy of ARCHITECTURE.md from the same architecture and pretrained weights, so
/// that they can be compared fairly. Given (architecture, pretrained state dict, strategy,
/// classes or output channels) it returns a <see cref="TransferModel"/>: the network with its new
/// head, the trainable parameter groups (body and head learning-rate multipliers) and the frozen
/// parameters.
/// </summary>
public sealed class StrategyBuilder
{
    public StrategyBuilder(string architecture, TaskKind task, long outputs, ArchitectureOptions? options = null, double dropout = 0)
    {
        if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), "the head needs at least one class or output channel");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), "dropout must be in [0, 1)");
        Architecture = architecture;
        Task = task;
        Outputs = outputs;
        Options = options ?? new ArchitectureOptions();
        Dropout = dropout;
        using var probe = Architectures.Create(architecture, Options, keptBlocks: 1);
        CutPoints = probe.AllCutPoints;
    }

    public string Architecture { get; }
    public TaskKind Task { get; }
    public long Outputs { get; }
    public ArchitectureOptions Options { get; }

    /// <summary>Dropout before the linear layer of a classification head (0: none).</summary>
    public double Dropout { get; }

    /// <summary>The full architecture's cut points, against which strategy cuts are resolved.</summary>
    public IReadOnlyList<CutPoint> CutPoints { get; }

    /// <summary>Builds <paramref name="strategy"/> with the pretrained weights in <paramref name="weightsPath"/> (any checkpoint format).</summary>
    public TransferModel Build(string strategy, string? weightsPath)
    {
        var parsed = Strategy.Parse(strategy);
        if (weightsPath is null) return Build(parsed, null);
        var weights = PretrainedWeights.Read(weightsPath);
        try
        {
            return Build(parsed, weights);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(weightsPath)}: {e.Message}");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Builds <paramref name="strategy"/>; <paramref name="pretrained"/> is a state dict with this
    /// toolkit's names (unwrapped, no <c>module.</c>), required by every strategy but scratch.
    /// The tensors are copied; the caller keeps ownership.
    /// </summary>
    public TransferModel Build(Strategy strategy, IReadOnlyDictionary<string, Tensor>? pretrained)
    {
        if (strategy.Kind != StrategyKind.Scratch && pretrained is null)
            throw new ArgumentException($"strategy {strategy} needs pretrained weights");
        var cut = strategy.Cut is { } spec ? BlockNetwork.ResolveCut(CutPoints, spec) : CutPoints[^1];
        var network = strategy.Kind switch
        {
            StrategyKind.Truncate => Architectures.Create(Architecture, Options, cut.Index),
            StrategyKind.Transfusion => Architectures.Create(Architecture, Options, widthFactors: SlimAbove(cut, strategy.SlimFactor)),
            _ => Architectures.Create(Architecture, Options),
        };
        try
        {
            ImportReport? import = null;
            switch (strategy.Kind)
            {
                case StrategyKind.Full or StrategyKind.Linear or StrategyKind.Lwft or StrategyKind.Truncate or StrategyKind.TwoPhase:
                    import = PretrainedWeights.LoadInto(network, pretrained!);
                    break;
                case StrategyKind.Transfusion:
                    import = LoadBlocksUpTo(network, pretrained!, cut);
                    break;
                case StrategyKind.MeanVar:
                    MeanVarInit(network, pretrained!);
                    break;
            }
            network.SetHead(NewHead(network));
            return Groups(strategy, network, cut, import);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Width factors: 1 for blocks 1..K, 1/slim above.</summary>
    private double[] SlimAbove(CutPoint cut, double slim) =>
        CutPoints.Select(c => c.Index <= cut.Index ? 1.0 : 1.0 / slim).ToArray();

    private Head NewHead(BlockNetwork network) => Task switch
    {
        TaskKind.Classification => new ClassificationHead(network.Cut.Channels, Outputs, Dropout),
        TaskKind.Segmentation when network is UNetBase unet => new UNetOutput(unet.OutFeatures, Outputs),
        TaskKind.Segmentation => new SegmentationDecoder(network.Cut.Channels, Outputs),
        _ => throw new ArgumentOutOfRangeException(nameof(Task)),
    };

    /// <summary>
    /// TransFusion's reuse: every tensor of blocks 1..K whose shape slimming left unchanged is
    /// copied (for a U-Net the decoder partner of level K belongs to level K+1, which is slimmed, so it is new);
    /// everything else keeps its random initialisation.
    /// </summary>
    private static ImportReport LoadBlocksUpTo(BlockNetwork network, IReadOnlyDictionary<string, Tensor> pretrained, CutPoint cut)
    {
        var own = network.state_dict();
        try
        {
            var kept = new Dictionary<string, Tensor>();
            var fresh = new List<string>();
            var missing = new List<string>();
            foreach (var (key, t) in own)
            {
                if (network.OwnerOf(key) is not { } owner || owner.Index > cut.Index) { fresh.Add(key); continue; }
                if (!pretrained.TryGetValue(key, out var w))
                {
                    if (!key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) missing.Add(key);
                    continue;
                }
                if (t.shape.AsSpan().SequenceEqual(w.shape)) kept[key] = w;
                else fresh.Add(key);
            }
            if (missing.Count > 0)
                throw new InvalidDataException($"the weights lack {missing.Count} tensors of blocks 1..{cut.Index}: {string.Join(", ", missing.Take(10))}");
            network.load_state_dict(kept, strict: false);
            var ignored = pretrained.Keys.Where(k => !kept.ContainsKey(k)).ToList();
            // The slimmed, re-initialised body tensors are reported with the head's: new, not loaded.
            return new ImportReport(Loaded: kept.Keys.ToList(), Dropped: ignored, Ignored: [], Unexpected: [], Missing: [],
                Mismatched: [], NewHead: fresh);
        }
        finally
        {
            foreach (var t in own.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Transfusion's "Mean Var" initialisation: each parameter tensor of the body is drawn i.i.d.
    /// from N(mean, std) of the pretrained tensor of the same name (a one-element tensor takes the
    /// pretrained value). Buffers (BN running statistics) keep their fresh defaults.
    /// </summary>
    private static void MeanVarInit(BlockNetwork network, IReadOnlyDictionary<string, Tensor> pretrained)
    {
        var missing = network.named_parameters().Select(p => p.name).Where(n => !pretrained.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the weights lack {missing.Count} body parameters: {string.Join(", ", missing.Take(10))}");
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in network.named_parameters())
        {
            var w = pretrained[name];
            if (!p.shape.AsSpan().SequenceEqual(w.shape))
                throw new InvalidDataException($"{name}: file [{string.Join(", ", w.shape)}], network [{string.Join(", ", p.shape)}]");
            using var w64 = w.to(DType.Float64);
            using var mean = w64.mean();
            double m = mean.item<double>();
            double s = 0;
            if (w.numel() > 1)
            {
                using var std = w64.std();
                s = std.item<double>();
            }
            if (s > 0) p.normal_(m, s);
            else p.fill_(m);
        }
    }

    private static TransferModel Groups(Strategy strategy, BlockNetwork network, CutPoint cut, ImportReport? import)
    {
        var body = new List<(string, Tensor)>();
        var lower = new List<(string, Tensor)>();
        var head = new List<(string, Tensor)>();
        var frozen = new List<string>();
        var later = new List<(string, Tensor)>();
        foreach (var (name, p) in network.named_parameters())
        {
            if (name.StartsWith("head.", StringComparison.Ordinal)) { head.Add((name, p)); continue; }
            bool belowCut = network.OwnerOf(name) is { } owner && owner.Index <= cut.Index;
            bool frozenNow = strategy.Kind switch
            {
                StrategyKind.Linear or StrategyKind.TwoPhase => true,
                StrategyKind.Lwft => belowCut,
                _ => false,
            };
            if (!frozenNow) body.Add((name, p));
            else if (strategy.BodyLrMultiplier is not null) lower.Add((name, p));
            else
            {
                p.requires_grad = false;
                frozen.Add(name);
                // Two-phase: the blocks above K thaw when the head's epochs are over.
                if (strategy.Kind == StrategyKind.TwoPhase && !belowCut) later.Add((name, p));
            }
        }
        var groups = new List<ParameterGroup>();
        if (lower.Count > 0) groups.Add(new ParameterGroup("body.lower", lower, strategy.BodyLrMultiplier!.Value));
        groups.Add(new ParameterGroup("body", body, 1));
        groups.Add(new ParameterGroup("head", head, 1));
        var secondPhase = strategy.Kind == StrategyKind.TwoPhase
            ? new SecondPhase(strategy.HeadEpochs, strategy.LrFactor, new ParameterGroup("body", later, 1))
            : null;
        var model = new TransferModel(strategy, network, groups, frozen, import, secondPhase);
        model.SetTraining(true);
        return model;
    }
}
