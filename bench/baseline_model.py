"""The network as a Python team would load it: the reference FPN
(tests/python/fpn_reference.py, which matches upstream exactly) with a
state dict written by `facet-trainer export-weights`, in eval mode.

Shared by the Python peers of Facet's benchmark (python_baseline_server.py,
torch_forward.py, export_onnx.py). Run with Debian's /usr/bin/python3.
"""
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "python"))
from fpn_reference import FPN  # noqa: E402


def infer_config(state_dict, input_size):
    """The 8 FPN hyper-parameters (in, out, min_feat, base, parsing, depth,
    lo, hi) that a bare state dict implies at `input_size`, as facet-server
    infers them (core/model/net_config.h InferNetConfig): the low end of the
    channel range is base_ch, since it never binds."""
    def blocks(prefix):
        ids = {int(m.group(1)) for k in state_dict
               for m in [re.match(prefix + r"\.(\d+)\.", k)] if m}
        return len(ids)
    down = blocks("encoder") - 1
    up = blocks("decoder")
    depth = blocks("body")
    base = state_dict["encoder.0.conv2d.weight"].shape[0]
    parsing = state_dict["out_mask_conv.conv2d.weight"].shape[0]
    hi = max(t.shape[0] for k, t in state_dict.items()
             if k.endswith("conv2d.weight"))
    min_feat = input_size >> down
    if min_feat < 1 or min_feat << down != input_size:
        raise ValueError(f"input size {input_size} is not a multiple of "
                         f"2^{down} (the weights' down steps)")
    return [input_size, min_feat << up, min_feat, base, parsing, depth, base, hi]


def load_fpn(weights_path, input_size):
    """Returns (net, config): the reference FPN holding the weights of a .pth
    file, in eval mode, and its configuration list."""
    state_dict = torch.load(weights_path, map_location="cpu")
    config = infer_config(state_dict, input_size)
    net = FPN(*config)
    net.load_state_dict(state_dict, strict=True)
    net.eval()
    return net, config


def to_input(rgb):
    """HxWx3 uint8 RGB -> 1x3xHxW float in [-1, 1], the network's input."""
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None]
    return x.float().div_(255.0).mul_(2.0).sub_(1.0)
