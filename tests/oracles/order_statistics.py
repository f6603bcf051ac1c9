"""Order statistics and percentiles of float32 values, by NumPy's sort and numpy.percentile.

usage: order_statistics.py FILE RANKS QS -> JSON {"values": [sorted[r] for r in RANKS], "percentiles": [...]}
FILE holds raw float32; RANKS and QS are comma-separated. Results are float64 bit patterns (int64),
exact and able to carry the infinities that JSON cannot.
"""
import json
import sys

import numpy as np

x = np.fromfile(sys.argv[1], dtype=np.float32)
ranks = [int(r) for r in sys.argv[2].split(",")]
qs = [float(q) for q in sys.argv[3].split(",")]
s = np.sort(x)
# percentiles of the float64 values: NumPy would interpolate float32 input in float32.
bits = lambda v: np.asarray(v, dtype=np.float64).view(np.int64).tolist()
print(json.dumps({"values": bits([s[r] for r in ranks]), "percentiles": bits(np.percentile(x.astype(np.float64), qs))}))
