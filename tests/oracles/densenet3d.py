"""Oracle for DenseNet3d (DenseNetOracleTests): a 3-D DenseNet-121 with torchvision's names.

Usage: densenet3d.py OUTDIR
Writes OUTDIR/densenet121.pth: torch.save({"state_dict": {"module.<key>": …}}) in the legacy
(non-zip) format, as MedicalNet-era checkpoints are, with random weights and BN statistics; and
OUTDIR/densenet121.io.safetensors: "x" (1×1×32×32×32) and, in eval mode, the activation at every cut point:
"features.transition1" … "features.transition3" and "features.norm5" (after the final ReLU),
plus "logits" (torchvision's head: ReLU, global average pooling, classifier).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from st import save

torch.set_num_threads(1)


class DenseLayer(nn.Sequential):
    def __init__(self, cin, growth, bn_size):
        super().__init__()
        self.add_module("norm1", nn.BatchNorm3d(cin))
        self.add_module("relu1", nn.ReLU(inplace=True))
        self.add_module("conv1", nn.Conv3d(cin, bn_size * growth, 1, bias=False))
        self.add_module("norm2", nn.BatchNorm3d(bn_size * growth))
        self.add_module("relu2", nn.ReLU(inplace=True))
        self.add_module("conv2", nn.Conv3d(bn_size * growth, growth, 3, padding=1, bias=False))


class DenseBlock(nn.Module):
    def __init__(self, n, cin, growth, bn_size):
        super().__init__()
        for i in range(n):
            self.add_module("denselayer%d" % (i + 1), DenseLayer(cin + i * growth, growth, bn_size))

    def forward(self, x):
        for layer in self.children():
            x = torch.cat([x, layer(x)], 1)
        return x


def transition(cin, cout):
    t = nn.Sequential()
    t.add_module("norm", nn.BatchNorm3d(cin))
    t.add_module("relu", nn.ReLU(inplace=True))
    t.add_module("conv", nn.Conv3d(cin, cout, 1, bias=False))
    t.add_module("pool", nn.AvgPool3d(2, stride=2))
    return t


class DenseNet3d(nn.Module):
    def __init__(self, blocks=(6, 12, 24, 16), growth=32, bn_size=4, init=64, classes=3):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module("conv0", nn.Conv3d(1, init, 7, stride=2, padding=3, bias=False))
        self.features.add_module("norm0", nn.BatchNorm3d(init))
        self.features.add_module("relu0", nn.ReLU(inplace=True))
        self.features.add_module("pool0", nn.MaxPool3d(3, stride=2, padding=1))
        c = init
        for b, n in enumerate(blocks):
            self.features.add_module("denseblock%d" % (b + 1), DenseBlock(n, c, growth, bn_size))
            c += n * growth
            if b < len(blocks) - 1:
                self.features.add_module("transition%d" % (b + 1), transition(c, c // 2))
                c //= 2
        self.features.add_module("norm5", nn.BatchNorm3d(c))
        self.classifier = nn.Linear(c, classes)

    def cuts(self, x):
        out = {}
        for name, m in self.features.named_children():
            x = m(x)
            if name.startswith("transition"):
                out["features." + name] = x.clone()
        x = F.relu(x)
        out["features.norm5"] = x
        out["logits"] = self.classifier(F.adaptive_avg_pool3d(x, 1).flatten(1))
        return out


def randomise(net):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)


def main(outdir):
    torch.manual_seed(121)
    net = DenseNet3d()
    randomise(net)
    net.eval()
    state = {"module." + k: v for k, v in net.state_dict().items()}
    torch.save({"state_dict": state, "epoch": 3}, os.path.join(outdir, "densenet121.pth"),
               _use_new_zipfile_serialization=False)
    x = torch.randn(1, 1, 32, 32, 32)
    with torch.no_grad():
        out = net.cuts(x)
    save(os.path.join(outdir, "densenet121.io.safetensors"), {"x": x.numpy(), **{k: v.numpy() for k, v in out.items()}})


if __name__ == "__main__":
    main(sys.argv[1])
