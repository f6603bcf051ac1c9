"""MedicalNet (Med3D) 3D ResNets written from the published architecture, as the oracle for TTL.Models.

  medicalnet.py make DEPTH SHORTCUT SIZE OUTDIR
      Builds the MedicalNet network (layer2 stride 2, layer3/layer4 stride 1 with dilation 2/4) with
      random weights and random BN statistics, and writes
        OUTDIR/weights.pth        legacy torch.save of {"state_dict": {"module." + k: v}}, with the
                                  conv_seg head MedicalNet releases and without num_batches_tracked
                                  (as MedicalNet's files, saved before PyTorch 0.4.1)
        OUTDIR/expected.safetensors   input (1x1xSIZE^3), "full" (layer4 activation) and the eval-mode
                                  activation at the end of each stage pooled to [1, C]: pooled.layer1..4
  medicalnet.py count DEPTH LAYOUT
      Prints JSON {"cuts": [{"name", "params"}]}: the parameter count of the network truncated after each
      block (layout "medicalnet" or "std": the same modules, strides 2 in layers 2-4, no dilation).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

BLOCKS = {10: [1, 1, 1, 1], 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3],
          101: [3, 4, 23, 3], 152: [3, 8, 36, 3], 200: [3, 24, 36, 3]}


def conv3(cin, cout, stride=1, dilation=1):
    return nn.Conv3d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)


class ZeroPad(nn.Module):
    """Shortcut A: strided identity, missing channels filled with zeros (no parameters)."""

    def __init__(self, cout, stride):
        super().__init__()
        self.cout, self.stride = cout, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride, ::self.stride]
        pad = torch.zeros(x.shape[0], self.cout - x.shape[1], *x.shape[2:], dtype=x.dtype)
        return torch.cat([x, pad], 1)


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = conv3(cin, planes, stride, dilation)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = conv3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm3d(planes)
        self.downsample = downsample

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class Bottle(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = conv3(planes, planes, stride, dilation)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = nn.Conv3d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, depth, shortcut, layout="medicalnet"):
        super().__init__()
        block = Bottle if depth >= 50 else Basic
        self.conv1 = nn.Conv3d(1, 64, 7, stride=2 if layout == "medicalnet" else (1, 2, 2), padding=3, bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        self.maxpool = nn.MaxPool3d(3, stride=2, padding=1)
        if layout == "medicalnet":
            strides, dilations = [1, 2, 1, 1], [1, 1, 2, 4]
        else:
            strides, dilations = [1, 2, 2, 2], [1, 1, 1, 1]
        cin = 64
        self.blocks = []  # (name, module) in forward order
        for i, (n, planes) in enumerate(zip(BLOCKS[depth], [64, 128, 256, 512])):
            layer = []
            for b in range(n):
                stride = strides[i] if b == 0 else 1
                cout = planes * block.expansion
                sc = None
                if stride != 1 or cin != cout:
                    if shortcut == "A":
                        sc = ZeroPad(cout, stride)
                    else:
                        sc = nn.Sequential(nn.Conv3d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm3d(cout))
                m = block(cin, planes, stride, dilations[i], sc)
                layer.append(m)
                self.blocks.append((f"layer{i + 1}.{b}", m))
                cin = cout
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.conv_seg = nn.Sequential(nn.ConvTranspose3d(cin, 32, 2, stride=2), nn.BatchNorm3d(32), nn.ReLU(),
                                      nn.Conv3d(32, 2, 1, bias=False))

    def stages(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        out = {}
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
            out[f"layer{i}"] = x
        return out


def make(depth, shortcut, size, outdir):
    torch.manual_seed(1000 + depth)
    net = ResNet(depth, shortcut)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm3d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    net.eval()
    sd = {"module." + k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save({"epoch": 3, "state_dict": sd}, os.path.join(outdir, "weights.pth"), _use_new_zipfile_serialization=False)
    x = torch.randn(1, 1, size, size, size)
    with torch.no_grad():
        acts = net.stages(x)
    out = {"input": x.numpy(), "full": acts["layer4"].numpy()}
    for k, v in acts.items():
        out["pooled." + k] = v.mean(dim=(2, 3, 4)).numpy()
    st.save(os.path.join(outdir, "expected.safetensors"), out)


def count(depth, layout):
    net = ResNet(depth, "B", layout)
    stem = sum(p.numel() for p in net.conv1.parameters()) + sum(p.numel() for p in net.bn1.parameters())
    cuts, total = [{"name": "stem", "params": stem}], stem
    for name, m in net.blocks:
        total += sum(p.numel() for p in m.parameters())
        cuts.append({"name": name, "params": total})
    print(json.dumps({"cuts": cuts}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    if sys.argv[1] == "make":
        make(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "count":
        count(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
