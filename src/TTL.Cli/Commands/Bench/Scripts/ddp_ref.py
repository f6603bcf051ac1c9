"""Reference side of `ttl bench ddp`: PyTorch's DistributedDataParallel (Gloo, loopback) training
train_ref.py's ResNet-18 with SGD, the global batch split evenly over the ranks, one intra-op
thread per rank; with one rank, a plain loop over the whole batch with all threads.

usage: ddp_ref.py TRAIN_REF.py WORLD GLOBAL_BATCH SIZE RUNS
Prints one JSON line: {"version", "world", "ms": [per-step milliseconds of rank 0, warm-up excluded]}.
"""
import importlib.util
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def network(path):
    spec = importlib.util.spec_from_file_location("train_ref", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ResNet18()


def run(rank, world, args, port, queue):
    path, batch, size, runs = args
    torch.set_num_threads(1 if world > 1 else int(os.environ.get("TTL_BENCH_THREADS", "1")))
    torch.manual_seed(0)
    model = network(path)
    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        dist.init_process_group("gloo", rank=rank, world_size=world)
        model = DistributedDataParallel(model, bucket_cap_mb=25)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch.manual_seed(1 + rank)
    x = torch.randn(batch // world, 1, size, size, size)
    y = torch.arange(batch // world) % 2
    times = []
    for k in range(runs + 1):
        t0 = time.perf_counter()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if k > 0:
            times.append((time.perf_counter() - t0) * 1e3)
    if rank == 0:
        queue.put(times)
    if world > 1:
        dist.destroy_process_group()


def main():
    path, world, batch, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    if world == 1:
        run(0, 1, (path, batch, size, runs), 0, queue)
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        mp.start_processes(run, args=(world, (path, batch, size, runs), port, queue), nprocs=world, start_method="spawn")
    print(json.dumps({"version": torch.__version__, "world": world, "ms": queue.get()}))


if __name__ == "__main__":
    main()
