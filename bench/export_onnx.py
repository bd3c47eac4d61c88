#!/usr/bin/python3
"""Exports the network of a .pth state dict (`facet-trainer export-weights`)
to ONNX with Debian's torch, for the ONNX Runtime peer (ort_forward.mjs).

    export_onnx.py --weights FILE.pth --input_size 512 --out FILE.onnx
                   [--opset 13]

Input "input": 1x3xSxS float in [-1, 1]; outputs "logits" (1xCxSxS) and
"image" (1x3xSxS), as the reference FPN returns them. Fixed batch 1 and
size, so ONNX Runtime plans for exactly the shape the benchmark runs.
Prints one JSON line with the file and the seconds it took.
"""
import argparse
import json
import os
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_model import load_fpn  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--input_size", type=int, default=512)
    p.add_argument("--out", required=True)
    p.add_argument("--opset", type=int, default=13)
    a = p.parse_args()
    t0 = time.perf_counter()
    net, config = load_fpn(a.weights, a.input_size)
    x = torch.zeros(1, 3, a.input_size, a.input_size)
    tmp = a.out + ".tmp"
    # Debian's torch 1.13 warns about constant folding of Slice and shape
    # inference of constants; neither changes the exported graph's results.
    warnings.filterwarnings("ignore", category=UserWarning)
    with torch.no_grad():
        torch.onnx.export(net, x, tmp, opset_version=a.opset,
                          input_names=["input"], output_names=["logits", "image"],
                          do_constant_folding=True)
    os.replace(tmp, a.out)
    print(json.dumps({"onnx": a.out, "config": config, "opset": a.opset,
                      "torch": torch.__version__,
                      "seconds": time.perf_counter() - t0}), flush=True)


if __name__ == "__main__":
    main()
