"""Oracle for UNet3d (GenesisUNetOracleTests): the Models Genesis 3-D U-Net with its published
parameter names (down_tr64.ops.0.conv1.weight, up_tr256.up_conv.weight, out_tr.final_conv.weight).

Usage: genesis_unet.py OUTDIR
Writes OUTDIR/genesis.pt: torch.save({"state_dict": {"module.<key>": …}}) in the legacy (non-zip)
format with random weights and BN statistics; and OUTDIR/genesis.io.safetensors: "x" (1×1×16×32×32) and,
in eval mode (BatchNorm with running statistics), "full" (out_tr logits, before the sigmoid),
"enc.level<k>" (encoder activation of level k, before pooling) and "body.level<k>" (the 64-channel
output of the network truncated at level k: encoder levels 1..k, level k the bottleneck, decoder
partners of levels k-1..1).
"""
import os
import sys

import torch
import torch.nn as nn

from st import save

torch.set_num_threads(1)


class LUConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, padding=1)
        self.bn1 = nn.BatchNorm3d(cout)
        self.activation = nn.ReLU()

    def forward(self, x):
        return self.activation(self.bn1(self.conv1(x)))


class Down(nn.Module):
    def __init__(self, cin, mid, cout):
        super().__init__()
        self.ops = nn.Sequential(LUConv(cin, mid), LUConv(mid, cout))


class Up(nn.Module):
    def __init__(self, cbelow, cout):
        super().__init__()
        self.up_conv = nn.ConvTranspose3d(cbelow, cbelow, 2, stride=2)
        self.ops = nn.Sequential(LUConv(cbelow + cout, cout), LUConv(cout, cout))

    def forward(self, x, skip):
        return self.ops(torch.cat([self.up_conv(x), skip], 1))


class Out(nn.Module):
    def __init__(self, cin, n):
        super().__init__()
        self.final_conv = nn.Conv3d(cin, n, 1)


class GenesisUNet(nn.Module):
    def __init__(self, n_class=1):
        super().__init__()
        self.down_tr64 = Down(1, 32, 64)
        self.down_tr128 = Down(64, 64, 128)
        self.down_tr256 = Down(128, 128, 256)
        self.down_tr512 = Down(256, 256, 512)
        self.up_tr256 = Up(512, 256)
        self.up_tr128 = Up(256, 128)
        self.up_tr64 = Up(128, 64)
        self.out_tr = Out(64, n_class)

    def encoder(self, x, levels):
        downs = [self.down_tr64, self.down_tr128, self.down_tr256, self.down_tr512]
        acts = []
        for k in range(levels):
            if k > 0:
                x = nn.functional.max_pool3d(x, 2)
            x = downs[k].ops(x)
            acts.append(x)
        return acts

    def body(self, x, levels):
        ups = [self.up_tr64, self.up_tr128, self.up_tr256]
        acts = self.encoder(x, levels)
        y = acts[-1]
        for k in range(levels - 2, -1, -1):
            y = ups[k](y, acts[k])
        return y


def randomise(net):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, nn.BatchNorm3d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)


def main(outdir):
    torch.manual_seed(2019)
    net = GenesisUNet(n_class=2)
    randomise(net)
    net.eval()
    state = {"module." + k: v for k, v in net.state_dict().items()}
    torch.save({"state_dict": state}, os.path.join(outdir, "genesis.pt"), _use_new_zipfile_serialization=False)
    x = torch.randn(1, 1, 16, 32, 32)
    out = {"x": x}
    with torch.no_grad():
        out["full"] = net.out_tr.final_conv(net.body(x, 4))
        for k, a in enumerate(net.encoder(x, 4)):
            out["enc.level%d" % (k + 1)] = a
        for k in range(1, 5):
            out["body.level%d" % k] = net.body(x, k)
    save(os.path.join(outdir, "genesis.io.safetensors"), {k: v.numpy() for k, v in out.items()})


if __name__ == "__main__":
    main(sys.argv[1])
