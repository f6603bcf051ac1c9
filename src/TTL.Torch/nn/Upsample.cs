using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>
/// Resizes [N, C, D, H, W] to a size or by a scale factor (torch.nn.Upsample), mode "nearest"
/// (the default) or "trilinear".
/// </summary>
public sealed class Upsample : Module<Tensor, Tensor>
{
    public long[]? size { get; }
    public double[]? scale_factor { get; }
    public string mode { get; }
    public bool? align_corners { get; }

    public Upsample(long[]? size = null, double[]? scale_factor = null, string mode = "nearest", bool? align_corners = null)
    {
        if ((size is null) == (scale_factor is null)) throw new ArgumentException("Upsample: give exactly one of size and scale_factor");
        this.size = size;
        this.scale_factor = scale_factor;
        this.mode = mode;
        this.align_corners = align_corners;
    }

    /// <summary>The same scale for every dimension.</summary>
    public Upsample(double scale_factor, string mode = "nearest", bool? align_corners = null)
        : this(null, [scale_factor], mode, align_corners)
    {
    }

    public override Tensor forward(Tensor input) => F.interpolate(input, size, scale_factor, mode, align_corners);

    public override string extra_repr()
    {
        string info = scale_factor is not null
            ? "scale_factor=" + (scale_factor.Length == 1 ? Repr.Float(scale_factor[0]) : Repr.Tuple(scale_factor))
            : "size=" + (size!.Length == 1 ? size[0].ToString() : Repr.Tuple(size));
        return $"{info}, mode={mode}";
    }
}
