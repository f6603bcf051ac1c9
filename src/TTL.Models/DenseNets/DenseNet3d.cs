using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Torch.Modules;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Models.DenseNets;

/// <summary>
/// A 3-D DenseNet (Huang et al., "Densely Connected Convolutional Networks", CVPR 2017) with
/// torchvision's parameter names, so a 3-D port of torchvision's densenet121 loads as it is:
/// <code>
/// features.conv0 (7³/2) → norm0 → relu0 → pool0 (max 3³/2)
///   → denseblock1 → transition1 → denseblock2 → transition2 → denseblock3 → transition3
///   → denseblock4 → norm5 → ReLU
/// </code>
/// A transition is BN → ReLU → 1³ conv halving the channels → 2³ average pool. The cut points are
/// the transitions and the end of the features (<c>features.norm5</c>, including torchvision's final
/// ReLU); the stem belongs to the first block. torchvision's <c>classifier</c> is the old head: a
/// truncated or fine-tuned network gets a new one (<see cref="BlockNetwork.head"/>).
/// The growth rate can differ per dense block (TransFusion slims the blocks above a cut).
/// </summary>
public sealed class DenseNet3d : BlockNetwork
{
    private readonly List<Module<Tensor, Tensor>>[] _blocks;
    private readonly IReadOnlyList<CutPoint> _cuts;

    public DenseNetConfig Config { get; }

    public override string Architecture => Config.Architecture;

    public override IReadOnlyList<CutPoint> AllCutPoints => _cuts;

    public DenseNet3d(DenseNetConfig config, int? keptBlocks = null) : base(keptBlocks ?? config.BlockLayers.Length)
    {
        Config = config;
        int blocks = config.BlockLayers.Length;
        if (KeptBlocks > blocks) throw new ArgumentOutOfRangeException(nameof(keptBlocks), $"{config.Architecture} has {blocks} blocks");
        var features = new ModuleDict<Module<Tensor, Tensor>>();
        register_module("features", features);
        _blocks = Enumerable.Range(0, KeptBlocks).Select(_ => new List<Module<Tensor, Tensor>>()).ToArray();
        var cuts = new List<CutPoint>();

        void Add(int block, string name, Module<Tensor, Tensor> layer)
        {
            if (block < KeptBlocks)
            {
                features[name] = layer;
                _blocks[block].Add(layer);
            }
            else layer.Dispose();
        }

        Add(0, "conv0", torch.nn.Conv3d(config.InChannels, config.InitFeatures, 7, stride: 2, padding: 3, bias: false));
        Add(0, "norm0", torch.nn.BatchNorm3d(config.InitFeatures));
        Add(0, "relu0", torch.nn.ReLU(inplace: true));
        Add(0, "pool0", torch.nn.MaxPool3d(3, stride: 2, padding: 1));
        long channels = config.InitFeatures, stride = 4;
        var prefixes = new List<string> { "features.conv0.", "features.norm0." };
        for (int b = 0; b < blocks; b++)
        {
            var block = new DenseBlock(config.BlockLayers[b], channels, config.BnSize, config.GrowthRates[b]);
            Add(b, $"denseblock{b + 1}", block);
            prefixes.Add($"features.denseblock{b + 1}.");
            channels = block.OutChannels;
            string cutName;
            if (b < blocks - 1)
            {
                cutName = $"features.transition{b + 1}";
                Add(b, $"transition{b + 1}", Transition(channels, channels / 2));
                channels /= 2;
                stride *= 2;
            }
            else
            {
                cutName = "features.norm5";
                Add(b, "norm5", torch.nn.BatchNorm3d(channels));
            }
            prefixes.Add(cutName + ".");
            cuts.Add(new CutPoint(b + 1, cutName, b + 1, true, channels, stride, prefixes.ToArray()));
            prefixes.Clear();
        }
        _cuts = cuts;
        InitWeights(this);
    }

    /// <summary>DenseNet-121: growth 32, bottleneck 4·growth, blocks of 6, 12, 24 and 16 layers.</summary>
    public static DenseNet3d DenseNet121(long inChannels = 1, double[]? blockWidthFactors = null) =>
        new(DenseNetConfig.DenseNet121(inChannels, blockWidthFactors));

    private static Sequential Transition(long inChannels, long outChannels) => torch.nn.Sequential(
    [
        ("norm", torch.nn.BatchNorm3d(inChannels)),
        ("relu", torch.nn.ReLU(inplace: true)),
        ("conv", torch.nn.Conv3d(inChannels, outChannels, 1, bias: false)),
        ("pool", torch.nn.AvgPool3d(2, stride: 2)),
    ]);

    protected override Tensor ForwardBlock(int position, Tensor x)
    {
        var y = x.alias();
        foreach (var layer in _blocks[position])
        {
            var next = layer.call(y);
            if (!ReferenceEquals(next, y)) y.Dispose();
            y = next;
        }
        if (position < Config.BlockLayers.Length - 1) return y;
        // torchvision applies the final ReLU functionally after norm5, before its classifier.
        using (y) return F.relu(y);
    }

    protected override BlockNetwork Build(int keptBlocks) => new DenseNet3d(Config, keptBlocks);

    /// <summary>torchvision's initialisation: He-normal convolutions, unit BN, zero linear bias.</summary>
    private static void InitWeights(Module network)
    {
        foreach (var m in network.modules())
        {
            switch (m)
            {
                case Conv3d conv:
                    torch.nn.init.kaiming_normal_(conv.weight, mode: "fan_in", nonlinearity: "relu");
                    break;
                case BatchNorm3d bn:
                    torch.nn.init.ones_(bn.weight!);
                    torch.nn.init.zeros_(bn.bias!);
                    break;
            }
        }
    }
}

/// <summary>
/// The shape of a <see cref="DenseNet3d"/>: layers per dense block, growth rate per block,
/// bottleneck width factor (bn_size) and the channels of the stem.
/// </summary>
public sealed record DenseNetConfig(string Architecture, long InChannels, int[] BlockLayers, long[] GrowthRates, long BnSize = 4,
    long InitFeatures = 64)
{
    public static DenseNetConfig DenseNet121(long inChannels = 1, double[]? blockWidthFactors = null)
    {
        int[] layers = [6, 12, 24, 16];
        var factors = blockWidthFactors ?? [1, 1, 1, 1];
        if (factors.Length != layers.Length)
            throw new ArgumentException($"densenet121 has {layers.Length} dense blocks, got {factors.Length} width factors");
        return new DenseNetConfig("densenet121", inChannels, layers, factors.Select(f => Widths.Scale(32, f)).ToArray());
    }
}

/// <summary>
/// <c>denselayerN</c>: BN → ReLU → 1³ conv to bn_size·growth channels → BN → ReLU → 3³ conv to
/// growth channels. Its input is the concatenation of everything before it in the block.
/// </summary>
public sealed class DenseLayer : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor>[] _layers;

    public DenseLayer(long inChannels, long growthRate, long bnSize)
    {
        _layers =
        [
            torch.nn.BatchNorm3d(inChannels),
            torch.nn.ReLU(inplace: true),
            torch.nn.Conv3d(inChannels, bnSize * growthRate, 1, bias: false),
            torch.nn.BatchNorm3d(bnSize * growthRate),
            torch.nn.ReLU(inplace: true),
            torch.nn.Conv3d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false),
        ];
        string[] names = ["norm1", "relu1", "conv1", "norm2", "relu2", "conv2"];
        for (int i = 0; i < names.Length; i++) register_module(names[i], _layers[i]);
    }

    /// <summary>The new feature maps only (growth-rate channels).</summary>
    public override Tensor forward(Tensor input)
    {
        var x = _layers[0].call(input);
        foreach (var layer in _layers.Skip(1))
        {
            var next = layer.call(x);
            x.Dispose();
            x = next;
        }
        return x;
    }
}

/// <summary><c>denseblockN</c>: each layer sees the block input concatenated with all earlier layers' outputs.</summary>
public sealed class DenseBlock : Module<Tensor, Tensor>
{
    private readonly List<DenseLayer> _layers = new();

    public long OutChannels { get; }

    public DenseBlock(int numLayers, long inChannels, long bnSize, long growthRate)
    {
        for (int i = 0; i < numLayers; i++)
        {
            var layer = new DenseLayer(inChannels + i * growthRate, growthRate, bnSize);
            register_module($"denselayer{i + 1}", layer);
            _layers.Add(layer);
        }
        OutChannels = inChannels + numLayers * growthRate;
    }

    public override Tensor forward(Tensor input)
    {
        var x = input.alias();
        foreach (var layer in _layers)
        {
            using var grown = layer.call(x);
            var next = torch.cat([x, grown], 1);
            x.Dispose();
            x = next;
        }
        return x;
    }
}
