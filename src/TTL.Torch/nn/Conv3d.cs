using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>3-D convolution over [N, C, D, H, W] (torch.nn.Conv3d).</summary>
public sealed class Conv3d : ConvBase3d
{
    public Conv3d(long in_channels, long out_channels, Size3 kernel_size, Size3? stride = null, Size3? padding = null,
        Size3? dilation = null, long groups = 1, bool bias = true, string padding_mode = "zeros",
        Device? device = null, DType dtype = DType.Float32)
        : base(in_channels, out_channels, kernel_size, stride ?? 1, padding ?? 0, dilation ?? 1, false, 0, groups, bias,
            padding_mode, device, dtype)
    {
    }

    public override Tensor forward(Tensor input)
    {
        if (padding_mode == "zeros")
            return F.conv3d(input, weight, bias, stride.ToArray(), padding.ToArray(), dilation.ToArray(), groups);
        // Non-zero padding modes pad explicitly (last dimension first, as F.pad expects), then convolve unpadded.
        long[] pad = [padding.W, padding.W, padding.H, padding.H, padding.D, padding.D];
        using var padded = F.pad(input, pad, padding_mode == "reflect" ? "reflect" : "replicate");
        return F.conv3d(padded, weight, bias, stride.ToArray(), [0, 0, 0], dilation.ToArray(), groups);
    }
}
