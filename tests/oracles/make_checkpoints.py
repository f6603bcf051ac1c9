"""Writes torch.save checkpoints for the C# reader tests, with the expected tensors beside them.

  make_checkpoints.py good OUTDIR
      For each case (nested_zip, nested_legacy, plain_zip, plain_legacy): CASE.pth, plus
      CASE.expected.safetensors (every tensor made contiguous; bfloat16 stored as its int16 bits)
      and CASE.expected.json ({"tensors": {name: {"dtype", "shape"}}, "values": {name: value}}).
      Names follow the reader's flattening: dict keys joined with ".", lists/tuples holding tensors
      numbered, anything else a plain value.
  make_checkpoints.py hostile OUTDIR MARKER
      Checkpoints whose unpickling would create MARKER (os.system, builtins.eval), and one holding
      an instance of a class of this script.
  make_checkpoints.py prove FILE
      torch.load(FILE) with Python's own unpickler, showing that a hostile file really acts.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv3d(1, 4, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm3d(4)
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return self.fc(x.mean(dim=(2, 3, 4)))


class Hyper:
    """A user class: torch.load would import this script to rebuild it."""

    def __init__(self):
        self.lr = 0.1


def nested_object():
    torch.manual_seed(0)
    net = torch.nn.DataParallel(Net())  # state_dict keys gain the "module." prefix
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.randn(2, 1, 4, 4, 4)).sum().backward()
    opt.step()
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {
        "state_dict": net.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 12,
        "extras": {
            "half": torch.randn(3, 5).half(),
            "long": torch.arange(-5, 7, dtype=torch.int64).reshape(3, 4),
            "bf16": torch.randn(2, 3).bfloat16(),
            "double": torch.randn(2, 2, dtype=torch.float64),
            "int32": torch.tensor([1, -2, 3], dtype=torch.int32),
            "int16": torch.tensor([[7, -8]], dtype=torch.int16),
            "int8": torch.tensor([-1, 2], dtype=torch.int8),
            "uint8": torch.tensor([250, 3], dtype=torch.uint8),
            "mask": torch.tensor([True, False, True]),
            "base": base,
            "transposed": base.t(),
            "every_other": base[:, ::2],
            "row": base[1],
            "rows": base[2:4],
            "expanded": torch.randn(3, 1).expand(3, 4),
            "scalar": torch.tensor(3.5),
            "empty": torch.zeros(0, 3),
            "pair": [torch.ones(2), torch.full((1,), 7.0)],
            "plain": (1, 2.5, "x", None, True),
            "name": "resnet",
            "flag": False,
        },
    }


def plain_object():
    torch.manual_seed(1)
    return Net().state_dict()


def flatten(obj, path, tensors, values):
    def join(seg):
        return seg if not path else path + "." + seg

    def has_tensor(o):
        if isinstance(o, torch.Tensor):
            return True
        if isinstance(o, (list, tuple)):
            return any(has_tensor(x) for x in o)
        if isinstance(o, dict):
            return any(has_tensor(x) for x in o.values())
        return False

    if isinstance(obj, dict) and obj:
        for k, v in obj.items():
            flatten(v, join(str(k)), tensors, values)
    elif isinstance(obj, (list, tuple)) and has_tensor(obj):
        for i, v in enumerate(obj):
            flatten(v, join(str(i)), tensors, values)
    elif isinstance(obj, torch.Tensor):
        tensors[path or "tensor"] = obj
    else:
        values[path or "value"] = obj


def write_case(outdir, case, obj, legacy):
    torch.save(obj, os.path.join(outdir, case + ".pth"), _use_new_zipfile_serialization=not legacy)
    tensors, values = {}, {}
    flatten(obj, "", tensors, values)
    arrays, info = {}, {}
    for name, t in tensors.items():
        t = t.detach().contiguous()
        info[name] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
        arrays[name] = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy()
    st.save(os.path.join(outdir, case + ".expected.safetensors"), arrays)
    with open(os.path.join(outdir, case + ".expected.json"), "w") as f:
        json.dump({"tensors": info, "values": values}, f, default=list)


class Payload:
    """Unpickles to fn(*args): the shape of every pickle exploit."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def hostile(outdir, marker):
    # Pickle names os.system after its defining module (posix); give it the name exploits use.
    os.system.__module__ = "os"
    weight = torch.ones(2)
    shell = Payload(os.system, "touch " + marker)
    code = Payload(eval, "open(%r, 'w').close()" % marker)
    for suffix, legacy in (("zip", False), ("legacy", True)):
        kw = {"_use_new_zipfile_serialization": not legacy}
        torch.save({"w": weight, "x": shell}, os.path.join(outdir, "os_system_%s.pth" % suffix), **kw)
        torch.save({"w": weight, "x": code}, os.path.join(outdir, "eval_%s.pth" % suffix), **kw)
        torch.save({"w": weight, "cfg": Hyper()}, os.path.join(outdir, "unknown_class_%s.pth" % suffix), **kw)


def main():
    mode = sys.argv[1]
    if mode == "good":
        outdir = sys.argv[2]
        write_case(outdir, "nested_zip", nested_object(), legacy=False)
        write_case(outdir, "nested_legacy", nested_object(), legacy=True)
        write_case(outdir, "plain_zip", plain_object(), legacy=False)
        write_case(outdir, "plain_legacy", plain_object(), legacy=True)
    elif mode == "hostile":
        hostile(sys.argv[2], sys.argv[3])
    elif mode == "prove":
        try:
            torch.load(sys.argv[2])
        except Exception as e:  # the payload has already run when loading fails afterwards
            print("torch.load raised " + type(e).__name__)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
