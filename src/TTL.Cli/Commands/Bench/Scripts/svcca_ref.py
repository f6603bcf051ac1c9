"""The published SVCCA code path (Raghu et al. 2017, google/svcca), re-implemented on NumPy.

Activations are neurons x datapoints, as in the published code. SVD reduction: centre, thin SVD,
keep the top singular directions whose squared singular values reach the variance fraction (or a
fixed count), represent the data as s_k * V_k. CCA: np.cov of the stacked reduced matrices, each
block rescaled by its largest magnitude, epsilon * I added, inverse square roots by eigh, canonical
correlations = singular values of Sxx^-1/2 Sxy Syy^-1/2.

Used by `ttl bench svcca` (one task per stdin line, one JSON answer per line) and imported by the
test oracle tests/oracles/svcca_ref.py.
"""
import json
import resource
import sys
import time

import numpy as np


def svd_reduce(acts, fraction=0.99, keep=None):
    """acts: neurons x datapoints. Returns (reduced k x datapoints, k, explained fraction)."""
    cacts = acts - np.mean(acts, axis=1, keepdims=True)
    _, s, v = np.linalg.svd(cacts, full_matrices=False)
    var = s ** 2
    if keep is not None:
        k = min(keep, len(s))
    else:
        k = int(np.searchsorted(np.cumsum(var) / np.sum(var), fraction) + 1)
        k = min(k, len(s))
    return s[:k, None] * v[:k], k, float(np.sum(var[:k]) / np.sum(var))


def _inv_sqrt(m):
    w, v = np.linalg.eigh(m)
    return (v / np.sqrt(w)) @ v.T


def cca(x, y, epsilon=1e-10):
    """x: kx x N, y: ky x N. Returns (correlations descending, u, Sxx^-1/2, x mean)."""
    nx = x.shape[0]
    cov = np.cov(np.concatenate((x, y), axis=0))
    sxx, sxy, syy = cov[:nx, :nx], cov[:nx, nx:], cov[nx:, nx:]
    xmax, ymax = np.max(np.abs(sxx)), np.max(np.abs(syy))
    sxx = sxx / xmax + epsilon * np.eye(nx)
    syy = syy / ymax + epsilon * np.eye(y.shape[0])
    sxy = sxy / np.sqrt(xmax * ymax)
    ixx, iyy = _inv_sqrt(sxx), _inv_sqrt(syy)
    u, rho, _ = np.linalg.svd(ixx @ sxy @ iyy)
    # ixx whitens the rescaled covariance; undo the rescaling so it whitens x itself.
    return rho, u, ixx / np.sqrt(xmax), np.mean(x, axis=1, keepdims=True)


def svcca(a, b, fraction=0.99, keep=None, epsilon=1e-10):
    """a, b: neurons x datapoints. Returns a dict of the published outputs."""
    ra, ka, ea = svd_reduce(a, fraction, keep)
    rb, kb, eb = svd_reduce(b, fraction, keep)
    rho, u, ixx, mx = cca(ra, rb, epsilon)
    return {"kept_a": ka, "kept_b": kb, "explained_a": ea, "explained_b": eb, "cca": rho,
            "mean_cca": float(np.mean(rho)), "_reduced_a": ra, "_u": u, "_ixx": ixx, "_mx": mx}


def _bench():
    """`ttl bench svcca` driver: each stdin line is 'A.npy B.npy'; loads (float32, samples x
    neurons), transposes to the published orientation and runs svcca once."""
    print(json.dumps({"numpy": np.__version__}), flush=True)
    for line in sys.stdin:
        pa, pb = line.split()
        a = np.load(pa).T
        b = np.load(pb).T
        t = time.perf_counter()
        r = svcca(a, b)
        ms = (time.perf_counter() - t) * 1000
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"ms": ms, "maxrss_mb": rss, "kept_a": r["kept_a"], "kept_b": r["kept_b"],
                          "mean_cca": r["mean_cca"]}), flush=True)
        del a, b, r


if __name__ == "__main__":
    _bench()
