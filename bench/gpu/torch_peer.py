#!/usr/bin/env python3
"""PyTorch peers of facet-bench-gpu: the same weights and inputs (written by
facet-bench-gpu into OUT), run the way a PyTorch user would serve them:
eager fp32, eager bf16 channels-last and, where it works, torch.compile bf16
channels-last. Each row times upload of uint8 faces, normalisation, forward,
argmax and download of uint8 labels, as Facet's rows do, and reports argmax
agreement with Facet's fp32 labels. Prints one JSON object per row.

  torch_peer.py --out DIR [--device cuda] [--batches 1,8,32,64] [--seconds 2]
                [--smoke] [--no-compile]
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "python"))
from fpn_reference import FPN  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batches", default="1,8,32,64")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()

    cfg_text, max_batch = open(os.path.join(args.out, "config.txt")).read().split()
    cfg = [int(v) for v in cfg_text.split(",")]
    side = cfg[0]
    device = torch.device(args.device)
    net = FPN(*cfg)
    state = torch.load(os.path.join(args.out, "weights.pth"), map_location="cpu")
    net.load_state_dict(state, strict=True)
    net.eval().to(device)
    inputs = np.fromfile(os.path.join(args.out, "inputs.rgb"), dtype=np.uint8)
    inputs = torch.from_numpy(inputs.reshape(int(max_batch), side, side, 3))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        inputs = inputs.pin_memory()

    variants = [("eager", "fp32", net, torch.float32, torch.contiguous_format)]
    bf16 = FPN(*cfg)
    bf16.load_state_dict(state, strict=True)
    bf16 = bf16.eval().to(device).to(torch.bfloat16).to(memory_format=torch.channels_last)
    variants.append(("eager", "bf16", bf16, torch.bfloat16, torch.channels_last))
    if not args.no_compile and hasattr(torch, "compile") and device.type == "cuda":
        variants.append(("compile", "bf16", torch.compile(bf16), torch.bfloat16,
                         torch.channels_last))

    batches = [int(b) for b in args.batches.split(",")]
    fp32_labels = {}
    for mode, precision, model, dtype, fmt in variants:
        for batch in batches:
            x_host = inputs[:batch]

            def run():
                with torch.inference_mode():
                    x = x_host.to(device, non_blocking=True).permute(0, 3, 1, 2).float()
                    x = (x / 255.0 * 2.0 - 1.0).to(dtype).contiguous(memory_format=fmt)
                    logits, _ = model(x)
                    return logits.argmax(1).to(torch.uint8).cpu()

            row = {"impl": "pytorch-" + mode, "precision": precision, "graphs": False,
                   "batch": batch}
            try:
                labels = run()
                if not args.smoke:
                    run()
                times = []
                start = time.perf_counter()
                while True:
                    t0 = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - t0)
                    if args.smoke or (len(times) >= 3 and
                                      time.perf_counter() - start >= args.seconds):
                        break
            except Exception as e:  # torch.compile may fail on a machine: report it.
                row["error"] = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
                print(json.dumps(row), flush=True)
                break
            p50 = statistics.median(times)
            row.update(faces_per_s=batch / p50, p50_ms=p50 * 1e3, runs=len(times))
            flat = labels.numpy().reshape(-1)
            if precision == "fp32" and mode == "eager":
                fp32_labels[batch] = flat
            if batch in fp32_labels:
                row["agreement"] = float((flat == fp32_labels[batch]).mean())
            facet_file = os.path.join(args.out, "facet_fp32_labels_b%d.u8" % batch)
            if os.path.exists(facet_file):
                facet = np.fromfile(facet_file, dtype=np.uint8)
                if facet.size == flat.size:
                    row["agreement_with_facet_fp32"] = float((flat == facet).mean())
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
