#!/usr/bin/python3
"""Checks that upstream PyTorch code loads a `.pth` file written by Facet.

Usage: pth_check_load.py FILE.pth (--expected LIST.txt | --reference REF.pth)

Loads FILE.pth with torch.load, compares every tensor bit for bit (names,
dtypes, shapes, values) with the tensors listed in LIST.txt (the format of
make_pth_fixtures.py) or with those of REF.pth, then loads it with
load_state_dict(strict=True) into a module that has exactly those
parameters. Exits non-zero, saying why, on any difference.
"""
import sys

import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from make_pth_fixtures import DTYPES, tensor_hex  # noqa: E402


def fail(message):
    print("pth_check_load: " + message, file=sys.stderr)
    sys.exit(1)


def read_expected(path):
    expected = {}
    with open(path) as f:
        for line in f:
            name, dtype, shape, data, _ = line.rstrip("\n").split("\t")
            dims = tuple(int(d) for d in shape.split(",")) if shape else ()
            expected[name] = (dtype, dims, data)
    return expected


def module_for(state_dict):
    """A module whose state dict has exactly these keys and shapes."""
    root = torch.nn.Module()
    for name, t in state_dict.items():
        *path, leaf = name.split(".")
        m = root
        for part in path:
            if not hasattr(m, part):
                m.add_module(part, torch.nn.Module())
            m = getattr(m, part)
        if t.is_floating_point():
            m.register_parameter(leaf, torch.nn.Parameter(torch.zeros_like(t)))
        else:
            m.register_buffer(leaf, torch.zeros_like(t))
    return root


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("--expected", "--reference"):
        fail(__doc__)
    sd = torch.load(sys.argv[1])
    if not isinstance(sd, dict):
        fail("loaded a %s, not a dict" % type(sd).__name__)
    if sys.argv[2] == "--expected":
        expected = read_expected(sys.argv[3])
    else:
        ref = torch.load(sys.argv[3])
        expected = {k: (DTYPES[t.dtype], tuple(t.shape), tensor_hex(t))
                    for k, t in ref.items()}
    if sorted(sd) != sorted(expected):
        fail("keys differ: %s" % sorted(set(sd) ^ set(expected)))
    for name, (dtype, shape, data) in expected.items():
        t = sd[name]
        got = (DTYPES.get(t.dtype), tuple(t.shape), tensor_hex(t))
        if got != (dtype, shape, data):
            fail("tensor %s: got %s %s, expected %s %s"
                 % (name, got[0], got[1], dtype, shape))
    module = module_for(sd)
    result = module.load_state_dict(sd, strict=True)
    if result.missing_keys or result.unexpected_keys:
        fail("load_state_dict: %s" % (result,))
    for name, t in module.state_dict().items():
        if tensor_hex(t) != tensor_hex(sd[name]):  # Bitwise: NaNs too.
            fail("module tensor %s differs after load_state_dict" % name)
    print("ok: %d tensors" % len(sd))


if __name__ == "__main__":
    main()
