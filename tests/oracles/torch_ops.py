"""Oracle for TTL.Torch's functional ops: runs each case of FunctionalOracleTests with python3-torch.

Usage: torch_ops.py IN.safetensors OUT.safetensors
IN holds the inputs of every case as "<case>.<name>" plus "<case>.g", the upstream gradient.
OUT receives "<case>.out" (and extra outputs) and "<case>.grad.<name>" for each input that needs a
gradient; the loss is (out * g).sum().
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from st import load, save

torch.set_num_threads(1)


def bn_train(t):
    rm, rv = t["rm"].clone(), t["rv"].clone()
    out = F.batch_norm(t["x"], rm, rv, t["w"], t["b"], training=True, momentum=0.2, eps=1e-4)
    return out, {"rm": rm, "rv": rv}


CASES = {
    "conv3d": (lambda t: F.conv3d(t["x"], t["w"], t["b"], stride=(1, 2, 2), padding=(1, 0, 2), dilation=(2, 1, 1), groups=2), ["x", "w", "b"]),
    "conv_transpose3d": (lambda t: F.conv_transpose3d(t["x"], t["w"], t["b"], stride=2, padding=1, output_padding=1), ["x", "w", "b"]),
    "conv_transpose3d_groups": (lambda t: F.conv_transpose3d(t["x"], t["w"], None, stride=(1, 2, 1), padding=(0, 1, 1), groups=2, dilation=(1, 1, 2)), ["x", "w"]),
    "max_pool3d": (lambda t: F.max_pool3d(t["x"], 3, stride=2, padding=1), ["x"]),
    "avg_pool3d": (lambda t: F.avg_pool3d(t["x"], (3, 2, 3), stride=(2, 2, 1), padding=(1, 1, 0), ceil_mode=True, count_include_pad=False), ["x"]),
    "adaptive_avg_pool3d": (lambda t: F.adaptive_avg_pool3d(t["x"], (3, 2, 4)), ["x"]),
    "adaptive_max_pool3d": (lambda t: F.adaptive_max_pool3d(t["x"], (3, 2, 4)), ["x"]),
    "batch_norm_train": (bn_train, ["x", "w", "b"]),
    "batch_norm_eval": (lambda t: F.batch_norm(t["x"], t["rm"], t["rv"], t["w"], t["b"], training=False, eps=1e-4), ["x", "w", "b"]),
    "instance_norm": (lambda t: F.instance_norm(t["x"], weight=t["w"], bias=t["b"], eps=1e-5), ["x", "w", "b"]),
    "instance_norm_running_eval": (lambda t: F.instance_norm(t["x"], t["rm"], t["rv"], use_input_stats=False), ["x"]),
    "group_norm": (lambda t: F.group_norm(t["x"], 2, t["w"], t["b"]), ["x", "w", "b"]),
    "layer_norm": (lambda t: F.layer_norm(t["x"], (5, 6), t["w"], t["b"]), ["x", "w", "b"]),
    "interpolate_trilinear": (lambda t: F.interpolate(t["x"], size=(9, 5, 11), mode="trilinear", align_corners=False), ["x"]),
    "interpolate_trilinear_ac": (lambda t: F.interpolate(t["x"], size=(9, 5, 11), mode="trilinear", align_corners=True), ["x"]),
    "interpolate_trilinear_scale": (lambda t: F.interpolate(t["x"], scale_factor=1.7, mode="trilinear"), ["x"]),
    "interpolate_nearest": (lambda t: F.interpolate(t["x"], size=(9, 5, 11), mode="nearest"), ["x"]),
    "grid_sample_bilinear": (lambda t: F.grid_sample(t["x"], t["grid"], mode="bilinear", padding_mode="zeros", align_corners=False), ["x", "grid"]),
    "grid_sample_nearest_border": (lambda t: F.grid_sample(t["x"], t["grid"], mode="nearest", padding_mode="border", align_corners=True), ["x"]),
    "cross_entropy": (lambda t: F.cross_entropy(t["x"], t["target"], weight=t["cw"], ignore_index=2, label_smoothing=0.1), ["x"]),
    "cross_entropy_none": (lambda t: F.cross_entropy(t["x"], t["target"], reduction="none"), ["x"]),
    "bce_with_logits": (lambda t: F.binary_cross_entropy_with_logits(t["x"], t["target"], pos_weight=t["pw"]), ["x"]),
    "softmax": (lambda t: F.softmax(t["x"], dim=1), ["x"]),
    "log_softmax": (lambda t: F.log_softmax(t["x"], dim=1), ["x"]),
    "leaky_relu": (lambda t: F.leaky_relu(t["x"], 0.2), ["x"]),
    "gelu": (lambda t: F.gelu(t["x"]), ["x"]),
    "einsum": (lambda t: torch.einsum("bij,bjk->bik", t["x"], t["y"]), ["x", "y"]),
    "reductions": (lambda t: torch.stack([t["x"].var(), t["x"].std(dim=(0, 2)).sum(), t["x"].amax(), t["x"].mean(dim=1).sum()]), ["x"]),
}


def main():
    inputs, _ = load(sys.argv[1])
    outputs = {}
    for case, (fn, grads) in CASES.items():
        t = {k[len(case) + 1:]: torch.from_numpy(v) for k, v in inputs.items() if k.startswith(case + ".")}
        if not t:
            continue
        for k in grads:
            t[k].requires_grad_(True)
        result = fn(t)
        extra = {}
        if isinstance(result, tuple):
            result, extra = result
        (result * t["g"]).sum().backward()
        outputs[case + ".out"] = result.detach().numpy()
        for k, v in extra.items():
            outputs[f"{case}.{k}.after"] = v.numpy()
        for k in grads:
            outputs[f"{case}.grad.{k}"] = t[k].grad.numpy()
    save(sys.argv[2], outputs)


if __name__ == "__main__":
    main()
