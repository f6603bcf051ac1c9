"""Resampling oracle: scipy.ndimage.affine_transform with the voxel mapping given by the test.

usage: resample.py IN.safetensors OUT.safetensors
IN holds, per case, '<case>.src' (float32, I×J×K) and '<case>.map' (float64 3×4: source voxel =
map[:, :3] @ output voxel + map[:, 3]); metadata 'cases' is a JSON list of
{"name", "order", "mode", "cval", "shape"}. OUT holds '<case>' (float64).
"""
import json
import sys

import numpy as np
from scipy import ndimage

import st

arrays, meta = st.load(sys.argv[1])
out = {}
for case in json.loads(meta["cases"]):
    name = case["name"]
    src = arrays[name + ".src"].astype(np.float64)
    m = arrays[name + ".map"]
    out[name] = ndimage.affine_transform(src, m[:, :3], offset=m[:, 3], output_shape=tuple(case["shape"]),
                                         order=case["order"], mode=case["mode"], cval=case["cval"])
st.save(sys.argv[2], out)
