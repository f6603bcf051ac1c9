"""Philox4x32-10 and the noise kernel's Box-Muller mapping, written directly in NumPy (uint64
products, float64 transcendentals), and a normality check of noise samples with SciPy.

usage: philox.py words SEED STREAM GROUPS   -> JSON {"words": [[w0..w3], ...], "normals": [[z0..z3], ...]}
       philox.py normality FILE              -> JSON {"mean", "std", "ks_pvalue"} of the float32 samples in FILE
"""
import json
import sys

import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
LO = np.uint64(0xFFFFFFFF)


def philox(c0, c1, c2, c3, k0, k1):
    """Ten rounds on arrays of 32-bit words held in uint64."""
    for r in range(10):
        if r > 0:
            k0 = (k0 + W0) & LO
            k1 = (k1 + W1) & LO
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0), (p1 & LO), ((p0 >> np.uint64(32)) ^ c3 ^ k1), (p0 & LO)
    return c0, c1, c2, c3


def box_muller(a, b):
    u = ((a >> np.uint64(8)) + np.uint64(1)).astype(np.float64) * 2.0 ** -24
    v = (b >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    r = np.sqrt(-2.0 * np.log(u))
    return r * np.cos(2 * np.pi * v), r * np.sin(2 * np.pi * v)


if sys.argv[1] == "words":
    seed, stream, groups = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    g = np.arange(groups, dtype=np.uint64)
    zero = np.zeros_like(g)
    k0 = np.full_like(g, seed & 0xFFFFFFFF)
    k1 = np.full_like(g, seed >> 32)
    w = philox(g, zero, np.full_like(g, stream), zero, k0, k1)
    z0, z1 = box_muller(w[0], w[1])
    z2, z3 = box_muller(w[2], w[3])
    print(json.dumps({"words": np.stack(w, 1).tolist(), "normals": np.stack([z0, z1, z2, z3], 1).tolist()}))
else:
    from scipy import stats

    x = np.fromfile(sys.argv[2], dtype=np.float32).astype(np.float64)
    print(json.dumps({"mean": x.mean(), "std": x.std(), "ks_pvalue": stats.kstest(x, "norm").pvalue}))
