using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.Cbr;

/// <summary>
/// One stage of a CBR network: conv (k³, stride 1, "same" padding) – BN – ReLU – max-pool 3³ stride 2,
/// named <c>stageN.conv</c>, <c>stageN.bn</c>.
/// </summary>
public sealed class CbrStage : Module<Tensor, Tensor>
{
    public CbrStage(long inChannels, long outChannels, long kernel)
    {
        register_module("conv", torch.nn.Conv3d(inChannels, outChannels, kernel, padding: kernel / 2, bias: false));
        register_module("bn", torch.nn.BatchNorm3d(outChannels));
        register_module("relu", torch.nn.ReLU(inplace: true));
        register_module("pool", torch.nn.MaxPool3d(3, stride: 2, padding: 1));
    }

    private Module<Tensor, Tensor> M(string name) => (Module<Tensor, Tensor>)GetModule(name)!;

    public override Tensor forward(Tensor x)
    {
        using var c = M("conv").call(x);
        using var b = M("bn").call(c);
        using var r = M("relu").call(b);
        return M("pool").call(r);
    }
}

/// <summary>
/// Transfusion's (Raghu et al. 2019) small convolutional baselines in 3D: a few conv–BN–ReLU–max-pool
/// stages, no residual connections; every stage end is a cut point (and a coarse stage).
/// <list type="bullet">
/// <item><c>cbr-small</c>: 4 stages of 32, 64, 128, 256 channels, 7³ kernels (Transfusion's CBR-Small);</item>
/// <item><c>cbr-tiny</c>: 4 stages of 64, 128, 256, 512 channels, 5³ kernels (Transfusion's CBR-Tiny);</item>
/// <item><c>cbr-larget</c>: 5 stages of 32 … 512 channels, 7³ kernels (CBR-LargeT).</item>
/// </list>
/// </summary>
public sealed class CbrNet : BlockNetwork
{
    private readonly IReadOnlyList<CutPoint> _cuts;

    public static IReadOnlyList<string> Names { get; } = ["cbr-small", "cbr-tiny", "cbr-larget"];

    public string Variant { get; }
    public long InChannels { get; }

    public CbrNet(string variant, long inChannels = 1, int? keptBlocks = null) : base(keptBlocks ?? Widths(variant).Length)
    {
        Variant = variant;
        InChannels = inChannels;
        var widths = Widths(variant);
        if (KeptBlocks > widths.Length) throw new ArgumentException($"{variant} has {widths.Length} cut points, cannot keep {KeptBlocks}");
        _cuts = widths.Select((w, i) => new CutPoint(i + 1, $"stage{i + 1}", i + 1, true, w, 2L << i, [$"stage{i + 1}."])).ToList();
        long c = inChannels;
        for (int i = 0; i < KeptBlocks; i++)
        {
            register_module($"stage{i + 1}", new CbrStage(c, widths[i], Kernel(variant)));
            c = widths[i];
        }
    }

    private static long[] Widths(string variant) => variant switch
    {
        "cbr-small" => [32, 64, 128, 256],
        "cbr-tiny" => [64, 128, 256, 512],
        "cbr-larget" => [32, 64, 128, 256, 512],
        _ => throw new ArgumentException($"unknown CBR network '{variant}'; known: {string.Join(", ", Names)}"),
    };

    private static long Kernel(string variant) => variant == "cbr-tiny" ? 5 : 7;

    public override string Architecture => Variant;

    public override IReadOnlyList<CutPoint> AllCutPoints => _cuts;

    protected override BlockNetwork Build(int keptBlocks) => new CbrNet(Variant, InChannels, keptBlocks);

    protected override Tensor ForwardBlock(int position, Tensor x) =>
        ((Module<Tensor, Tensor>)GetModule($"stage{position + 1}")!).call(x);
}
