using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Modules;

/// <summary>Transposed 3-D convolution (torch.nn.ConvTranspose3d); the weight is [in, out/groups, kD, kH, kW].</summary>
public sealed class ConvTranspose3d : ConvBase3d
{
    public ConvTranspose3d(long in_channels, long out_channels, Size3 kernel_size, Size3? stride = null, Size3? padding = null,
        Size3? output_padding = null, long groups = 1, bool bias = true, Size3? dilation = null, string padding_mode = "zeros",
        Device? device = null, DType dtype = DType.Float32)
        : base(in_channels, out_channels, kernel_size, stride ?? 1, padding ?? 0, dilation ?? 1, true, output_padding ?? 0,
            groups, bias, padding_mode, device, dtype)
    {
    }

    public override Tensor forward(Tensor input) =>
        F.conv_transpose3d(input, weight, bias, stride.ToArray(), padding.ToArray(), output_padding.ToArray(), groups, dilation.ToArray());
}
