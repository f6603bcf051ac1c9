"""Loads NIfTI files with nibabel and saves what a reader must reproduce.

usage: nifti_load.py OUT_DIR FILE...   [--canonical | --reorient CODES]
For file number n it writes OUT_DIR/n.safetensors with
  data:  get_fdata(), extra dimensions folded into a leading channel axis -> (C, I, J, K), C order
  raw:   the stored (unscaled) values in file order (Fortran ravel), int64 or float64
  affine: the 4x4 affine
and prints one JSON list describing each file (shape, dtype, codes, or the error nibabel raised).
With --canonical the image is first passed through as_closest_canonical; with --reorient CODES
it is reoriented to those axis codes.
"""
import json
import sys

import nibabel as nib
import numpy as np
from nibabel.orientations import axcodes2ornt, io_orientation, ornt_transform

import st


def load(path):
    img = nib.load(path)
    if not hasattr(img, "affine"):  # CIFTI-2 has no affine; read the same file as plain NIfTI-2
        img = nib.Nifti2Image.from_filename(path)
    return img


def main():
    args = sys.argv[1:]
    mode = None
    if "--canonical" in args:
        args.remove("--canonical")
        mode = "RAS"
    if "--reorient" in args:
        i = args.index("--reorient")
        mode = args[i + 1]
        del args[i:i + 2]
    out_dir, files = args[0], args[1:]
    report = []
    for n, path in enumerate(files):
        try:
            img = load(path)
            if mode == "RAS":
                img = nib.as_closest_canonical(img)
            elif mode:
                ornt = ornt_transform(io_orientation(img.affine), axcodes2ornt(tuple(mode)))
                img = img.as_reoriented(ornt)
            data = img.get_fdata()
            raw = np.asanyarray(img.dataobj.get_unscaled()) if hasattr(img.dataobj, "get_unscaled") else np.asanyarray(img.dataobj)
        except Exception as e:  # the caller decides whether a failure is expected
            report.append({"path": path, "error": f"{type(e).__name__}: {e}"})
            continue
        shape = list(data.shape)
        spatial = (shape + [1, 1, 1])[:3]
        folded = data.reshape(spatial + [-1], order="F")
        chw = np.ascontiguousarray(np.moveaxis(folded, 3, 0))
        raw_flat = raw.ravel(order="F")
        raw_flat = raw_flat.astype(np.float64 if raw.dtype.kind == "f" else np.int64)
        st.save(f"{out_dir}/{n}.safetensors",
                {"data": chw.astype(np.float64), "raw": raw_flat, "affine": np.asarray(img.affine, dtype=np.float64)})
        hdr = img.header
        report.append({
            "path": path,
            "shape": shape,
            "dtype": str(img.get_data_dtype().newbyteorder("=")),
            "qform_code": int(hdr["qform_code"]),
            "sform_code": int(hdr["sform_code"]),
            "axcodes": "".join(nib.aff2axcodes(img.affine)),
        })
    print(json.dumps(report))


if __name__ == "__main__":
    main()
