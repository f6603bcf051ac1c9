"""Reference side of `ttl bench kernels`: the PyTorch operations that do what TTL.Cuda's kernels do,
on one n^3 float32 volume on DEVICE, timed like ours (a warm-up, then the median of RUNS between
CUDA events; wall time on the CPU). Prints one JSON line {"version", "ms": {op: median ms}}.
usage: kernels_ref.py DEVICE N RUNS
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def timed(device, runs, fn):
    fn()
    times = []
    for _ in range(runs):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    device, n, runs = torch.device(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(n)
    x = (torch.rand(1, 1, n, n, n, device=device) * 2000 - 1000)
    scratch = x.clone()
    # An oblique affine close to the one KernelsBench resamples with (rotation, scale, shift), as
    # normalised coordinates for grid_sample (trilinear, border, align_corners like scipy's grid).
    a, b, c = 0.2, -0.1, 0.3
    rz = torch.tensor([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    ry = torch.tensor([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rx = torch.tensor([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    theta = torch.cat([(rz @ ry @ rx) / torch.tensor([1.05, 0.95, 1.0]), torch.tensor([[0.02], [-0.01], [0.005]])], 1)
    grid = F.affine_grid(theta[None].to(device), [1, 1, n, n, n], align_corners=True)
    flat = x.flatten()
    lo, hi = max(1, int(0.005 * (flat.numel() - 1)) + 1), max(1, int(0.995 * (flat.numel() - 1)) + 1)
    ms = {
        "grid_sample": timed(device, runs, lambda: F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)),
        "permute": timed(device, runs, lambda: x.permute(0, 1, 4, 3, 2).contiguous()),
        "zscore": timed(device, runs, lambda: scratch.sub_(scratch.mean()).div_(scratch.std(unbiased=False))),
        "quantile": timed(device, runs, lambda: (torch.kthvalue(flat, lo), torch.kthvalue(flat, hi))),
        "randn_add": timed(device, runs, lambda: scratch.add_(torch.randn_like(scratch))),
    }
    print(json.dumps({"version": torch.__version__, "ms": ms}))


if __name__ == "__main__":
    main()
