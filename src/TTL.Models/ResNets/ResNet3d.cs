using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.ResNets;

/// <summary>
/// A 3D ResNet as a <see cref="BlockNetwork"/>:
/// <code>
/// stem    conv1 7³ (stride conv1_stride, pad 3, no bias) – bn1 – ReLU – maxpool 3³ stride 2 pad 1
/// layer1  blocks of w planes        (stride 1)                          w = the width, 64 by default
/// layer2  blocks of 2w planes       (stride 2)
/// layer3  blocks of 4w planes       (MedicalNet: stride 1, dilation 2;  standard: stride 2)
/// layer4  blocks of 8w planes       (MedicalNet: stride 1, dilation 4;  standard: stride 2)
/// </code>
/// Module names are MedicalNet's without <c>module.</c> (<c>conv1.weight</c>, <c>layer2.0.downsample.0.weight</c>),
/// which are also torchvision's. Cut points: after the stem, then after every residual block;
/// the coarse stages end at the last block of layer1..layer4.
/// </summary>
public sealed class ResNet3d : BlockNetwork
{
    private readonly List<Module<Tensor, Tensor>> _blocks = new();
    private readonly IReadOnlyList<CutPoint> _cuts;

    private readonly double[]? _widths;

    public ResNetConfig Config { get; }

    /// <summary>
    /// The network with blocks 1..<paramref name="keptBlocks"/> (all when null), no head.
    /// <paramref name="widthFactors"/> (one per cut point: stem, then each block) scales each
    /// block's planes, as TransFusion's slimmed blocks need.
    /// </summary>
    public ResNet3d(ResNetConfig config, int? keptBlocks = null, double[]? widthFactors = null)
        : base(keptBlocks ?? CutPointsOf(config).Count)
    {
        Config = config;
        _widths = widthFactors;
        _cuts = CutPointsOf(config, widthFactors);
        if (KeptBlocks > _cuts.Count) throw new ArgumentException($"{config.Name} has {_cuts.Count} cut points, cannot keep {KeptBlocks}");

        long stem = _cuts[0].Channels;
        register_module("conv1", torch.nn.Conv3d(config.InChannels, stem, 7, stride: config.Conv1Stride, padding: 3, bias: false));
        register_module("bn1", torch.nn.BatchNorm3d(stem));
        register_module("relu", torch.nn.ReLU(inplace: true));
        register_module("maxpool", torch.nn.MaxPool3d(3, stride: 2, padding: 1));

        long inplanes = stem;
        int position = 1;
        var counts = config.BlocksPerStage;
        for (int stage = 1; stage <= 4 && position < KeptBlocks; stage++)
        {
            var layer = new Sequential();
            for (int b = 0; b < counts[stage - 1] && position < KeptBlocks; b++, position++)
            {
                long planes = Strategies.Widths.Scale(config.Planes(stage), Factor(widthFactors, position));
                long stride = b == 0 ? config.StageStride(stage) : 1;
                Module<Tensor, Tensor> block = config.UsesBottleneck
                    ? new Bottleneck3d(inplanes, planes, stride, config.StageDilation(stage), config.Shortcut)
                    : new BasicBlock3d(inplanes, planes, stride, config.StageDilation(stage), config.Shortcut);
                inplanes = planes * config.Expansion;
                layer.append(block);
                _blocks.Add(block);
            }
            register_module($"layer{stage}", layer);
        }
        InitializeWeights();
    }

    public override string Architecture => Config.Name;

    public override IReadOnlyList<CutPoint> AllCutPoints => _cuts;

    protected override BlockNetwork Build(int keptBlocks) => new ResNet3d(Config, keptBlocks, _widths);

    private static double Factor(double[]? widths, int position) => widths is null ? 1 : widths[position];

    protected override Tensor ForwardBlock(int position, Tensor x)
    {
        if (position > 0) return _blocks[position - 1].call(x);
        using var c = M("conv1").call(x);
        using var b = M("bn1").call(c);
        using var r = M("relu").call(b);
        return M("maxpool").call(r);
    }

    private Module<Tensor, Tensor> M(string name) => (Module<Tensor, Tensor>)GetModule(name)!;

    /// <summary>MedicalNet's (and torchvision's) initialisation: convolutions kaiming-normal fan-out (BN starts at weight 1, bias 0).</summary>
    private void InitializeWeights()
    {
        using var noGrad = torch.no_grad();
        foreach (var m in modules())
            if (m is Conv3d conv) torch.nn.init.kaiming_normal_(conv.weight, mode: "fan_out", nonlinearity: "relu");
    }

    /// <summary>The cut points of the full network of <paramref name="config"/>: the stem, then every residual block.</summary>
    public static IReadOnlyList<CutPoint> CutPointsOf(ResNetConfig config, double[]? widthFactors = null)
    {
        int total = 1 + config.BlocksPerStage.Sum();
        if (widthFactors is not null && widthFactors.Length != total)
            throw new ArgumentException($"{config.Name} has {total} cut points; {widthFactors.Length} width factors given");
        long c1d = config.Conv1Stride.D * 2, c1h = config.Conv1Stride.H * 2, c1w = config.Conv1Stride.W * 2;
        var cuts = new List<CutPoint> { new(1, "stem", 0, false, Strategies.Widths.Scale(config.Width, Factor(widthFactors, 0)), (c1d, c1h, c1w), ["conv1.", "bn1."]) };
        long down = 1;
        var counts = config.BlocksPerStage;
        for (int stage = 1; stage <= 4; stage++)
        {
            down *= config.StageStride(stage);
            for (int b = 0; b < counts[stage - 1]; b++)
            {
                string name = $"layer{stage}.{b}";
                long planes = Strategies.Widths.Scale(config.Planes(stage), Factor(widthFactors, cuts.Count));
                cuts.Add(new(cuts.Count + 1, name, stage, b == counts[stage - 1] - 1, planes * config.Expansion,
                    (c1d * down, c1h * down, c1w * down), [name + "."]));
            }
        }
        return cuts;
    }
}
