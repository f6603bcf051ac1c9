"""Oracle for TTL.Training's metrics: scikit-learn for classification, scipy for Dice and HD95.

Usage: metrics_ref.py IN.safetensors  -> JSON on stdout, one entry per case in IN:
  cls.<name>.probs [N, K] float64, cls.<name>.labels [N] int64
  seg.<name>.pred / seg.<name>.truth [I, J, K] int64, seg.<name>.spacing [3] float64
"""
import json
import sys

import numpy as np
from scipy import ndimage
from sklearn import metrics

from st import load


def classification(probs, labels):
    k = probs.shape[1]
    pred = probs.argmax(1)
    out = {"accuracy": metrics.accuracy_score(labels, pred),
           "balanced_accuracy": metrics.balanced_accuracy_score(labels, pred)}
    if k == 2:
        out["auroc"] = metrics.roc_auc_score(labels, probs[:, 1])
        out["auprc"] = metrics.average_precision_score(labels, probs[:, 1])
        out["f1"] = metrics.f1_score(labels, pred)
        out["sensitivity"] = metrics.recall_score(labels, pred, pos_label=1)
        out["specificity"] = metrics.recall_score(labels, pred, pos_label=0)
    else:
        onehot = np.eye(k)[labels]
        out["auroc"] = metrics.roc_auc_score(labels, probs, multi_class="ovr", average="macro")
        out["auprc"] = metrics.average_precision_score(onehot, probs, average="macro")
        out["f1"] = metrics.f1_score(labels, pred, average="macro", zero_division=0)
    return out


def surface(mask):
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def hd95(a, b, spacing):
    sa, sb = surface(a), surface(b)
    if not sa.any() or not sb.any():
        return None
    to_b = ndimage.distance_transform_edt(~sb, sampling=spacing)
    to_a = ndimage.distance_transform_edt(~sa, sampling=spacing)
    return float(max(np.percentile(to_b[sa], 95), np.percentile(to_a[sb], 95)))


def segmentation(pred, truth, spacing):
    classes = int(max(pred.max(), truth.max())) + 1
    dice, hd = [], []
    for c in range(1, classes):
        a, b = pred == c, truth == c
        total = a.sum() + b.sum()
        dice.append(1.0 if total == 0 else 2.0 * (a & b).sum() / total)
        hd.append(hd95(a, b, spacing))
    return {"dice": dice, "hd95": hd}


def main():
    arrays, _ = load(sys.argv[1])
    result = {}
    for key in arrays:
        kind, name, field = key.split(".")
        if kind == "cls" and field == "probs":
            result[key[:-6]] = classification(arrays[key], arrays[f"cls.{name}.labels"])
        if kind == "seg" and field == "pred":
            result[key[:-5]] = segmentation(arrays[key], arrays[f"seg.{name}.truth"], arrays[f"seg.{name}.spacing"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
