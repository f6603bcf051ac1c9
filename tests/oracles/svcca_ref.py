"""Oracle for TTL.Analysis SVCCA: the published algorithm (src/TTL.Cli/Commands/Bench/Scripts/
svcca_ref.py, the same code `ttl bench svcca` times) plus PWCCA, linear CKA and minibatch CKA
computed directly from the data.

usage: svcca_ref.py A.safetensors B.safetensors [--variance F | --keep K] [--epsilon E] [--batch N]
Both files hold one [N, C] array (float32/float64). Prints one JSON object.
"""
import json
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "src", "TTL.Cli", "Commands", "Bench", "Scripts"))
import st  # noqa: E402
import svcca_ref as published  # noqa: E402  (the bench script of the same name)


def pwcca(acts_a, r):
    """Morcos et al. 2018: canonical variates of A orthonormalised by QR, weights = summed
    |projection| onto A's (centred) neurons."""
    ra = r["_reduced_a"]
    m = len(r["cca"])
    variates = (r["_u"][:, :m].T @ r["_ixx"] @ (ra - r["_mx"])).T      # N x m
    p, _ = np.linalg.qr(variates)
    ac = acts_a - acts_a.mean(axis=0)
    alpha = np.sum(np.abs(p.T @ ac), axis=1)
    w = alpha / alpha.sum()
    return float(np.sum(w * r["cca"])), w


def linear_cka(x, y):
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    return float(np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def hsic1(k, l):
    """Unbiased HSIC estimator (Song et al. 2012) on n x n Gram matrices."""
    n = k.shape[0]
    k = k.copy()
    l = l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    one = np.ones(n)
    return (np.trace(k @ l) + (one @ k @ one) * (one @ l @ one) / ((n - 1) * (n - 2))
            - 2 / (n - 2) * one @ k @ l @ one) / (n * (n - 3))


def minibatch_cka(x, y, batch):
    ab = aa = bb = 0.0
    for s in range(0, x.shape[0], batch):
        xs, ys = x[s:s + batch], y[s:s + batch]
        if xs.shape[0] < 4:
            continue
        k, l = xs @ xs.T, ys @ ys.T
        ab += hsic1(k, l)
        aa += hsic1(k, k)
        bb += hsic1(l, l)
    return float(ab / np.sqrt(aa * bb))


def main(argv):
    a = next(iter(st.load(argv[0])[0].values())).astype(np.float64)
    b = next(iter(st.load(argv[1])[0].values())).astype(np.float64)
    opts = dict(zip(argv[2::2], argv[3::2]))
    keep = int(opts["--keep"]) if "--keep" in opts else None
    r = published.svcca(a.T, b.T, float(opts.get("--variance", 0.99)), keep, float(opts.get("--epsilon", 1e-10)))
    pw, w = pwcca(a, r)
    out = {"n": a.shape[0], "kept_a": r["kept_a"], "kept_b": r["kept_b"], "cca": r["cca"].tolist(),
           "mean_cca": r["mean_cca"], "pwcca": pw, "pwcca_weights": w.tolist(), "cka": linear_cka(a, b)}
    if "--batch" in opts:
        out["cka_minibatch"] = minibatch_cka(a, b, int(opts["--batch"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
