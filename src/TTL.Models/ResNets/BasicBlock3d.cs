using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.ResNets;

/// <summary>
/// ResNet's basic block in 3D: 3³ conv (stride, dilation) – BN – ReLU – 3³ conv (dilation) – BN,
/// plus the shortcut, then ReLU. Both convolutions carry the stage's dilation, padded by it so the
/// spatial size is kept (MedicalNet's <c>conv3x3x3</c>).
/// </summary>
public sealed class BasicBlock3d : Module<Tensor, Tensor>
{
    public const long Expansion = 1;

    private readonly ZeroPadShortcut? _zeroPad;

    public BasicBlock3d(long inplanes, long planes, long stride, long dilation, Shortcut shortcut)
    {
        register_module("conv1", torch.nn.Conv3d(inplanes, planes, 3, stride: stride, padding: dilation, dilation: dilation, bias: false));
        register_module("bn1", torch.nn.BatchNorm3d(planes));
        register_module("conv2", torch.nn.Conv3d(planes, planes, 3, padding: dilation, dilation: dilation, bias: false));
        register_module("bn2", torch.nn.BatchNorm3d(planes));
        (var downsample, _zeroPad) = ResidualShortcut.Make(shortcut, inplanes, planes * Expansion, stride);
        if (downsample is not null) register_module("downsample", downsample);
    }

    private Module<Tensor, Tensor> M(string name) => (Module<Tensor, Tensor>)GetModule(name)!;

    public override Tensor forward(Tensor x)
    {
        using var c1 = M("conv1").call(x);
        using var b1 = M("bn1").call(c1);
        b1.relu_();
        using var c2 = M("conv2").call(b1);
        var y = M("bn2").call(c2);
        using var residual = ResidualShortcut.Apply(x, GetModule("downsample") as Module<Tensor, Tensor>, _zeroPad);
        return y.add_(residual).relu_();
    }

    public override string extra_repr() => _zeroPad?.ToString() ?? "";
}
