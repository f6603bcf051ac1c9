"""Reference side of `ttl bench train`: a plain python3-torch training loop over the same network
(MedicalNet-layout 3D ResNet-18, shortcut A, global-average-pooling + linear head) and the same
batch shape as TrainBench.cs, on the device named by the third argument (cpu or cuda[:N]). Driven
line by line: "step" runs one SGD step and answers {"ms": …}.
The network (ResNet18) is also imported by ddp_ref.py.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, cin, planes, stride, dilation):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(planes, planes, 3, 1, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.stride, self.cout = stride, planes

    def shortcut(self, x):
        if self.stride == 1 and x.shape[1] == self.cout:
            return x
        x = x[:, :, ::self.stride, ::self.stride, ::self.stride]
        pad = torch.zeros(x.shape[0], self.cout - x.shape[1], *x.shape[2:], dtype=x.dtype, device=x.device)
        return torch.cat([x, pad], 1)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        layers, cin = [], 64
        for planes, stride, dilation in [(64, 1, 1), (128, 2, 1), (256, 1, 2), (512, 1, 4)]:
            layers += [Block(cin, planes, stride, dilation), Block(planes, planes, 1, dilation)]
            cin = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, 2)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        return self.fc(F.adaptive_avg_pool3d(self.layers(x), 1).flatten(1))


def main():
    torch.set_num_threads(int(os.environ.get("TTL_BENCH_THREADS", "1")))
    torch.manual_seed(0)
    batch, size = int(sys.argv[1]), int(sys.argv[2])
    device = torch.device(sys.argv[3] if len(sys.argv) > 3 else "cpu")
    model = ResNet18().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 1, size, size, size, device=device)
    y = (torch.arange(batch) % 2).to(device)

    def step():
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    print(json.dumps({"version": torch.__version__, "parameters": sum(p.numel() for p in model.parameters())}))
    for line in sys.stdin:
        t0 = time.perf_counter()
        step()
        print(json.dumps({"ms": (time.perf_counter() - t0) * 1e3}))


if __name__ == "__main__":
    main()
