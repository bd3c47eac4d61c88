#!/usr/bin/python3
"""PyTorch eager peer of Facet's forward benchmark: the reference FPN with
the exported weights, one face, batch 1, in torch.inference_mode() with
`--threads` intra-op threads.

    torch_forward.py --weights FILE.pth --input FACE.rgb [--input_size 512]
                     [--threads CORES] [--runs N]

FACE.rgb is input_size x input_size x 3 uint8 RGB. After loading and one
warm-up forward it prints one JSON line {"ready": true, ...}. With --runs N
it then times N forwards and prints {"seconds": [...]}; without, it serves
the peer protocol of bench/run_benchmarks.py on stdin, one command a line:
  run          time one forward + argmax; prints {"seconds": S}
  labels PATH  writes the last argmax (uint8, HxW) to PATH; prints {"labels": PATH}
and exits at end of input. Run with Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_model import load_fpn, to_input  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--input_size", type=int, default=512)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--runs", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    net, config = load_fpn(a.weights, a.input_size)
    s = a.input_size
    rgb = np.fromfile(a.input, np.uint8).reshape(s, s, 3)
    load_seconds = time.perf_counter() - t0
    labels = None

    def forward():
        nonlocal labels
        t = time.perf_counter()
        with torch.inference_mode():
            logits, _ = net(to_input(rgb))
            labels = logits[0].argmax(0).to(torch.uint8).numpy()
        return time.perf_counter() - t

    warmup = forward()
    say = lambda d: print(json.dumps(d), flush=True)
    say({"ready": True, "peer": "pytorch-eager", "version": torch.__version__,
         "threads": torch.get_num_threads(), "config": config,
         "load_seconds": load_seconds, "warmup_seconds": warmup})
    if a.runs > 0:
        say({"seconds": [forward() for _ in range(a.runs)]})
        return
    for line in sys.stdin:
        cmd = line.split()
        if cmd == ["run"]:
            say({"seconds": forward()})
        elif len(cmd) == 2 and cmd[0] == "labels":
            labels.tofile(cmd[1])
            say({"labels": cmd[1]})
        elif cmd:
            say({"error": f"unknown command {line.strip()!r}"})


if __name__ == "__main__":
    main()
