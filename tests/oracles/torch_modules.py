"""Oracle for TTL.Torch's modules and optimizers (ModuleOracleTests): a small 3-D network built
the same way as OracleNet in the C# test, run by python3-torch.

Usage: torch_modules.py OUT.safetensors
OUT receives "default.<key>" (the state dict right after torch.manual_seed(0) and construction),
"init.<key>" (the perturbed weights both sides start from), the inputs "x", "g", "y",
"train.out", "train.grad.<param>", "train.state.<key>" (after one train-mode forward/backward),
"eval.out", "eval.grad.<param>", and "opt.<config>.<key>" (the state dict after 20 steps).
Stdout: JSON with the state-dict keys in order, their shapes, and repr(net).
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from st import save

torch.set_num_threads(1)


class OracleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1, bias=False), nn.BatchNorm3d(4), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool3d(2)
        self.block = nn.Sequential(
            nn.Conv3d(4, 8, 3, padding=1), nn.BatchNorm3d(8, momentum=None), nn.PReLU(),
            nn.Conv3d(8, 8, 3, padding=2, dilation=2), nn.GroupNorm(2, 8), nn.LeakyReLU(0.1))
        self.up = nn.ConvTranspose3d(8, 4, 2, stride=2)
        self.norm = nn.InstanceNorm3d(4, affine=True, track_running_stats=True)
        self.act = nn.GELU()
        self.head = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        s = self.stem(x)
        u = self.act(self.norm(self.up(self.block(self.pool(s)))))
        return self.head(torch.cat([s, u], 1))


def groups(net, a, b):
    """Two parameter groups: the body (stem, block) and the rest, each with its own options."""
    body = [p for n, p in net.named_parameters() if n.startswith(("stem.", "block."))]
    rest = [p for n, p in net.named_parameters() if not n.startswith(("stem.", "block."))]
    return [dict(params=body, **a), dict(params=rest, **b)]


OPTIMIZERS = {
    "sgd_nesterov": lambda net: torch.optim.SGD(groups(net, dict(lr=0.05, weight_decay=1e-3), dict(lr=0.02, weight_decay=1e-2)),
                                                lr=0.1, momentum=0.9, dampening=0, nesterov=True),
    "sgd_dampening": lambda net: torch.optim.SGD(groups(net, dict(lr=0.05), dict(lr=0.02, weight_decay=1e-2)),
                                                 lr=0.1, momentum=0.5, dampening=0.1),
    "adam": lambda net: torch.optim.Adam(groups(net, dict(lr=1e-2, weight_decay=1e-3), dict(lr=3e-3)), lr=1e-3),
    "adam_amsgrad": lambda net: torch.optim.Adam(groups(net, dict(lr=1e-2, weight_decay=1e-3), dict(lr=3e-3)), lr=1e-3, amsgrad=True),
    "adamw": lambda net: torch.optim.AdamW(groups(net, dict(lr=1e-2, weight_decay=1e-2), dict(lr=3e-3, weight_decay=0.1)), lr=1e-3),
    "adamw_amsgrad": lambda net: torch.optim.AdamW(groups(net, dict(lr=1e-2, weight_decay=1e-2), dict(lr=3e-3, weight_decay=0.1)),
                                                   lr=1e-3, amsgrad=True),
}


def main():
    out = {}
    torch.manual_seed(0)
    net = OracleNet()
    sd = net.state_dict()
    out.update({"default." + k: v.numpy().copy() for k, v in sd.items()})
    info = {"keys": list(sd.keys()), "shapes": [list(v.shape) for v in sd.values()], "repr": repr(net)}

    torch.manual_seed(1)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.2 * torch.randn_like(p))
    init = {k: v.clone() for k, v in net.state_dict().items()}
    out.update({"init." + k: v.numpy() for k, v in init.items()})
    x = torch.randn(2, 1, 8, 8, 8)
    g = torch.randn(2, 3)
    y = torch.tensor([0, 2])
    out.update(x=x.numpy(), g=g.numpy(), y=y.numpy())

    for mode in ("train", "eval"):
        net.train(mode == "train")
        net.zero_grad()
        result = net(x)
        (result * g).sum().backward()
        out[mode + ".out"] = result.detach().numpy()
        for n, p in net.named_parameters():
            out[f"{mode}.grad.{n}"] = p.grad.numpy().copy()
        if mode == "train":
            out.update({"train.state." + k: v.numpy().copy() for k, v in net.state_dict().items()})

    for name, make in OPTIMIZERS.items():
        net.load_state_dict(init)
        net.train()
        opt = make(net)
        for _ in range(20):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
        out.update({f"opt.{name}.{k}": v.numpy().copy() for k, v in net.state_dict().items()})

    save(sys.argv[1], out)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
