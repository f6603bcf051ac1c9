"""Prints the geometry nibabel sees in NIfTI files.

usage: nifti_geometry.py FILE...
Prints one JSON list with, per file, {"path", "shape", "affine" (4x4, nibabel's choice of sform /
qform), "dtype" (the on-disk data type)}.
"""
import json
import sys

import nibabel as nib


def main():
    report = []
    for path in sys.argv[1:]:
        img = nib.load(path)
        report.append({
            "path": path,
            "shape": [int(n) for n in img.shape],
            "affine": [[float(v) for v in row] for row in img.affine],
            "dtype": str(img.get_data_dtype()),
        })
    print(json.dumps(report))


if __name__ == "__main__":
    main()
