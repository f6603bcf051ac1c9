"""Reference side of `ttl bench binding`: the same work as BindingBench.cs, in python3-torch.

Driven line by line: "conv" runs one forward+backward of the conv-BN-ReLU stack, "add" runs
the loop of small additions; each answers with {"ms": elapsed}.
"""
import json
import os
import sys
import time

import torch

threads = int(os.environ.get("TTL_BENCH_THREADS", "1"))
adds_per_run = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)

channels = [1, 16, 16, 32, 32]
weights = [torch.randn(co, ci, 3, 3, 3).mul_(0.1).requires_grad_() for ci, co in zip(channels, channels[1:])]
gammas = [torch.ones(c, requires_grad=True) for c in channels[1:]]
betas = [torch.zeros(c, requires_grad=True) for c in channels[1:]]
means = [torch.zeros(c) for c in channels[1:]]
variances = [torch.ones(c) for c in channels[1:]]
params = weights + gammas + betas
x = torch.randn(2, 1, 64, 64, 64)
a = torch.ones(16)
b = torch.ones(16)


def conv():
    h = x
    for w, g, bb, m, v in zip(weights, gammas, betas, means, variances):
        h = torch.conv3d(h, w, None, 1, 1)
        h = torch.batch_norm(h, g, bb, m, v, True, 0.1, 1e-5, True)
        h = torch.relu(h)
    h.mean().backward()
    for p in params:
        p.grad = None


def add():
    for _ in range(adds_per_run):
        c = a + b


tasks = {"conv": conv, "add": add}
print(json.dumps({"version": torch.__version__, "threads": torch.get_num_threads()}))
for line in sys.stdin:
    fn = tasks[line.strip()]
    t0 = time.perf_counter()
    fn()
    print(json.dumps({"ms": (time.perf_counter() - t0) * 1e3}))
