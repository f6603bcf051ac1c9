"""Two-level paired percentile bootstrap over seeds and test cases, written independently with NumPy.

Input JSON: {"values": [method][seed][case], "reference": int, "replicates": int, "level": float,
"seed": int, "percentiles": {"data": [...], "q": [...]}}. The metric of a run on a case sample is the mean
of its per-case values. Output JSON: per method mean, sd (over seeds), ci; per method the paired
difference against the reference: mean, ci, p_positive; and np.percentile of the given data."""
import json
import sys

import numpy as np

spec = json.load(open(sys.argv[1]))
v = np.asarray(spec["values"], dtype=np.float64)          # methods x seeds x cases
methods, seeds, cases = v.shape
rng = np.random.default_rng(spec["seed"])
B = spec["replicates"]
est = np.empty((methods, B))
for b in range(B):
    s = rng.integers(0, seeds, seeds)
    c = rng.integers(0, cases, cases)
    est[:, b] = v[:, s][:, :, c].mean(axis=2).mean(axis=1)
alpha = (1 - spec["level"]) / 2
per_seed = v.mean(axis=2)
out = {"methods": [], "percentiles": []}
ref = spec["reference"]
for m in range(methods):
    o = {"mean": per_seed[m].mean(), "sd": per_seed[m].std(ddof=1),
         "ci": [np.quantile(est[m], alpha), np.quantile(est[m], 1 - alpha)]}
    if m != ref:
        d = est[m] - est[ref]
        o["diff"] = {"mean": (per_seed[m] - per_seed[ref]).mean(), "ci": [np.quantile(d, alpha), np.quantile(d, 1 - alpha)],
                     "p_positive": float((d > 0).mean())}
    out["methods"].append(o)
p = spec["percentiles"]
out["percentiles"] = [float(np.percentile(np.sort(p["data"]), 100 * q)) for q in p["q"]]
print(json.dumps(out))
