"""Reference side of `ttl bench nifti`: nibabel reading the files NiftiBench.cs wrote.

Driven line by line: each line names a file; the script loads it with nibabel and forces the full
array with get_fdata() (an uncompressed .nii would otherwise be mapped lazily), then answers with
{"ms": elapsed}.
"""
import json
import sys
import time

import nibabel as nib
import numpy as np

print(json.dumps({"version": nib.__version__, "numpy": np.__version__}))
for line in sys.stdin:
    path = line.strip()
    t0 = time.perf_counter()
    data = nib.load(path).get_fdata()
    ms = (time.perf_counter() - t0) * 1000
    del data
    print(json.dumps({"ms": ms}), flush=True)
