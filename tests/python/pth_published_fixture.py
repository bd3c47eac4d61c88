#!/usr/bin/python3
"""Writes the network at the published configuration (spec section 1, 512 px)
with random weights as upstream saves it, for core/model/pth_reader_test.cc.

Usage: pth_published_fixture.py OUT_DIR

OUT_DIR gets published.zip.pth and published.legacy.pth (torch.save of the
state dict in both formats) and published.safetensors (the same tensors,
written by fpn_reference.py), so the C++ test can check that the .pth reader
yields exactly the safetensors tensors. The network's outputs for those
tensors are checked separately (tests/golden_parity_test.cc).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fpn_reference  # noqa: E402

PUBLISHED = [512, 512, 32, 64, 19, 10, 32, 256]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(90000)
    net = fpn_reference.FPN(*PUBLISHED)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("running_mean"):
                t.normal_(0, 0.3)
            elif name.endswith("running_var"):
                t.uniform_(0.5, 2.0)
            elif name.endswith("num_batches_tracked"):
                t.fill_(90000)
    sd = net.state_dict()
    assert len(sd) == 238, len(sd)
    torch.save(sd, os.path.join(out, "published.zip.pth"))
    torch.save(sd, os.path.join(out, "published.legacy.pth"),
               _use_new_zipfile_serialization=False)
    fpn_reference.write_safetensors(os.path.join(out, "published.safetensors"),
                                    sd)


if __name__ == "__main__":
    main()
