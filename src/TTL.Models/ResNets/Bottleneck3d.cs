using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.ResNets;

/// <summary>
/// ResNet's bottleneck block in 3D: 1³ conv – BN – ReLU – 3³ conv (stride, dilation) – BN – ReLU –
/// 1³ conv to 4× planes – BN, plus the shortcut, then ReLU. Only the middle convolution carries the
/// stride and the stage's dilation (padding = dilation), as in MedicalNet and torchvision (v1.5).
/// </summary>
public sealed class Bottleneck3d : Module<Tensor, Tensor>
{
    public const long Expansion = 4;

    private readonly ZeroPadShortcut? _zeroPad;

    public Bottleneck3d(long inplanes, long planes, long stride, long dilation, Shortcut shortcut)
    {
        register_module("conv1", torch.nn.Conv3d(inplanes, planes, 1, bias: false));
        register_module("bn1", torch.nn.BatchNorm3d(planes));
        register_module("conv2", torch.nn.Conv3d(planes, planes, 3, stride: stride, padding: dilation, dilation: dilation, bias: false));
        register_module("bn2", torch.nn.BatchNorm3d(planes));
        register_module("conv3", torch.nn.Conv3d(planes, planes * Expansion, 1, bias: false));
        register_module("bn3", torch.nn.BatchNorm3d(planes * Expansion));
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
        using var b2 = M("bn2").call(c2);
        b2.relu_();
        using var c3 = M("conv3").call(b2);
        var y = M("bn3").call(c3);
        using var residual = ResidualShortcut.Apply(x, GetModule("downsample") as Module<Tensor, Tensor>, _zeroPad);
        return y.add_(residual).relu_();
    }

    public override string extra_repr() => _zeroPad?.ToString() ?? "";
}
