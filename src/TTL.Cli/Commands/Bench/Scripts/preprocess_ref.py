"""Reference for `ttl bench preprocess`: nibabel reorientation, scipy trilinear resampling and a
NumPy z-score on the same file, with the same voxel mapping and boundary mode as ours.

usage: preprocess_ref.py FILE.nii RUNS ZOOM OUT_I OUT_J OUT_K RESULT.raw
Prints one JSON line with the median milliseconds of each step; writes the resampled array
(float32, C order) to RESULT.raw so the caller can compare numbers.
"""
import json
import sys
import time

import nibabel as nib
import numpy as np
import scipy
from scipy import ndimage

path, runs, zoom = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
out_shape = tuple(int(a) for a in sys.argv[4:7])
result_path = sys.argv[7]
img = nib.load(path)
img = nib.Nifti1Image(np.asarray(img.dataobj, dtype=np.float32), img.affine)  # loading is not timed


def reorient():
    canon = nib.as_closest_canonical(img)
    # as_closest_canonical returns flipped views; the copy makes the work comparable to ours.
    return np.ascontiguousarray(np.asanyarray(canon.dataobj))


def resample(x):
    # Diagonal matrix: scipy's own fast path for axis-aligned zooms.
    return ndimage.affine_transform(x, np.full(3, zoom), offset=0.0, output_shape=out_shape, order=1,
                                    mode="nearest", output=np.float32)


def zscore(x):
    m, s = x.mean(dtype=np.float64), x.std(dtype=np.float64)
    return (x - np.float32(m)) / np.float32(s if s != 0 else 1)


times = {"reorient": [], "resample": [], "zscore": [], "total": []}
for r in range(runs + 1):  # the first run warms up and is not counted
    t0 = time.perf_counter()
    a = reorient()
    t1 = time.perf_counter()
    b = resample(a)
    t2 = time.perf_counter()
    c = zscore(b)
    t3 = time.perf_counter()
    if r > 0:
        times["reorient"].append((t1 - t0) * 1e3)
        times["resample"].append((t2 - t1) * 1e3)
        times["zscore"].append((t3 - t2) * 1e3)
        times["total"].append((t3 - t0) * 1e3)
b.tofile(result_path)
print(json.dumps({"nibabel": nib.__version__, "scipy": scipy.__version__, "numpy": np.__version__,
                  **{k + "_ms": float(np.median(v)) for k, v in times.items()}}))
