"""Intensity oracle: the same transforms written directly in NumPy (float64), for comparison.

usage: intensity.py IN.safetensors OUT.safetensors
IN: 'x' (C×I×J×K float32, with zeros), 'case0..2' images and 'label0..2' labels (I×J×K);
metadata 'params' (JSON). OUT: one float64 array per transform.
"""
import json
import sys

import numpy as np

import st

arrays, meta = st.load(sys.argv[1])
p = json.loads(meta["params"])
x = arrays["x"].astype(np.float64)
out = {}

out["clip"] = np.clip(x, p["clip"][0], p["clip"][1])

a_min, a_max, b_min, b_max = p["scale"]
scaled = (x - a_min) / (a_max - a_min) * (b_max - b_min) + b_min
out["scale_noclip"] = scaled
out["scale_clip"] = np.clip(scaled, b_min, b_max)

lo, hi = p["window"]
out["window"] = np.clip((x - lo) / (hi - lo), 0, 1)


def zscore(v, nonzero):
    v = v.copy()
    mask = v != 0 if nonzero else np.ones(v.shape, bool)
    m, s = v[mask].mean(), v[mask].std()
    v[mask] = (v[mask] - m) / (s if s != 0 else 1)
    return v


out["z_whole"] = zscore(x, False)
out["z_nonzero"] = zscore(x, True)
out["z_channel"] = np.stack([zscore(c, False) for c in x])
out["z_channel_nonzero"] = np.stack([zscore(c, True) for c in x])

out["percentiles"] = np.percentile(x, p["qs"])  # method='linear', NumPy's default
lo, hi = np.percentile(x, p["clip_q"])
out["percentile_clip"] = np.clip(x, lo, hi)

pool = np.concatenate([arrays[f"case{i}"][arrays[f"label{i}"] > 0].astype(np.float64) for i in range(3)])
lo, hi = np.percentile(pool, [0.5, 99.5])
mean, std = pool.mean(), pool.std()
out["ct_stats"] = np.array([lo, hi, mean, std])
out["ct_case0"] = (np.clip(arrays["case0"].astype(np.float64), lo, hi) - mean) / max(std, 1e-8)
st.save(sys.argv[2], out)
