using TTL.Torch;
using TTL.Torch.Modules;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Models.UNets;

/// <summary>
/// What every U-Net here shares: resolution levels 1..L, each an encoder unit (its activation is
/// the skip connection) followed by 2³ max pooling, the deepest level being the bottleneck; a
/// decoder partner for every level but the deepest (up-convolution of the level below,
/// concatenation with the skip, a unit); then the head, a 1³ convolution to the output channels.
/// <para>
/// Cut points are the levels (<c>level1</c> … <c>levelL</c>). Level k owns its encoder unit and the
/// decoder partner of level k−1, the one that up-samples level k's output: those are exactly what
/// truncating at k−1 removes. Truncating at level k keeps encoder levels 1..k and the decoder
/// partners of levels 1..k−1: level k becomes the bottleneck, whose width is the one its old
/// decoder path delivered, so every kept tensor keeps its shape and loads from the full network.
/// </para>
/// <para>
/// <see cref="BlockNetwork.forward_to"/> and <see cref="BlockNetwork.features"/> give the encoder's
/// activation at a level (before pooling); <see cref="forward"/> runs encoder, decoder and head.
/// </para>
/// </summary>
public abstract class UNetBase : BlockNetwork
{
    private readonly List<DownTransition> _down = new();
    private readonly List<UpTransition> _up = new();
    private readonly List<CutPoint> _cuts = new();
    private string? _partnerAbove;

    protected UNetBase(int keptBlocks) : base(keptBlocks)
    {
    }

    public override IReadOnlyList<CutPoint> AllCutPoints => _cuts;

    /// <summary>Width of the body's output (the top decoder level, or level 1 alone): what the head sees.</summary>
    public long OutFeatures => _cuts[0].Channels;

    /// <summary>
    /// Declares level <c>level</c> (1-based, in order) of the full architecture with the module names of its
    /// encoder unit and decoder partner (null for the deepest level) and its output width; builds
    /// the modules only when the level is kept (a partner only when the level below is kept too).
    /// </summary>
    protected void DeclareLevel(int level, long channels, string downName, Func<DownTransition> down,
        string? upName, Func<UpTransition>? up)
    {
        var prefixes = new List<string> { downName + "." };
        if (_partnerAbove is not null) prefixes.Add(_partnerAbove + ".");
        _partnerAbove = upName;
        _cuts.Add(new CutPoint(level, $"level{level}", level, true, channels, 1L << (level - 1), prefixes));
        if (level > KeptBlocks) return;
        var d = down();
        register_module(downName, d);
        _down.Add(d);
        if (level < KeptBlocks && upName is not null && up is not null)
        {
            var u = up();
            register_module(upName, u);
            _up.Add(u);
        }
    }

    /// <summary>Level <paramref name="position"/> + 1 of the encoder: pooling (below level 1), then the unit.</summary>
    protected override Tensor ForwardBlock(int position, Tensor x)
    {
        if (position == 0) return _down[0].call(x);
        using var pooled = F.max_pool3d(x, [2, 2, 2]);
        return _down[position].call(pooled);
    }

    /// <summary>Encoder, decoder with skip connections, and the head when there is one.</summary>
    public override Tensor forward(Tensor x)
    {
        long factor = 1L << (KeptBlocks - 1);
        var size = x.shape[2..];
        if (size.Any(s => s % factor != 0))
            throw new ArgumentException($"{Architecture} with {KeptBlocks} levels needs every spatial size divisible by {factor}, got ({string.Join(", ", size)})");
        var skips = new List<Tensor>();
        try
        {
            var y = ForwardBlock(0, x);
            for (int p = 1; p < KeptBlocks; p++)
            {
                skips.Add(y);
                y = ForwardBlock(p, y);
            }
            for (int p = KeptBlocks - 2; p >= 0; p--)
            {
                var next = _up[p].call((y, skips[p]));
                y.Dispose();
                y = next;
            }
            if (head is not { } h) return y;
            using (y) return h.Run(y, size);
        }
        finally
        {
            foreach (var s in skips) s.Dispose();
        }
    }
}

/// <summary>An encoder level: its unit <c>ops</c> (pooling is done between levels by the network).</summary>
public sealed class DownTransition : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _ops;

    public DownTransition(Module<Tensor, Tensor> ops)
    {
        _ops = ops;
        register_module("ops", ops);
    }

    public override Tensor forward(Tensor input) => _ops.call(input);
}

/// <summary>
/// A decoder level: <c>up_conv</c> (2³ transposed convolution, stride 2) doubles the resolution of
/// the level below, the result is concatenated with the skip connection (up-sampled channels
/// first), and the unit <c>ops</c> merges them.
/// </summary>
public sealed class UpTransition : Module<(Tensor x, Tensor skip), Tensor>
{
    private readonly ConvTranspose3d _upConv;
    private readonly Module<Tensor, Tensor> _ops;

    public UpTransition(long inChannels, long upChannels, Module<Tensor, Tensor> ops)
    {
        _upConv = torch.nn.ConvTranspose3d(inChannels, upChannels, 2, stride: 2);
        _ops = ops;
        register_module("up_conv", _upConv);
        register_module("ops", ops);
    }

    public override Tensor forward((Tensor x, Tensor skip) input)
    {
        using var up = _upConv.call(input.x);
        using var merged = torch.cat([up, input.skip], 1);
        return _ops.call(merged);
    }
}
