#!/usr/bin/python3
"""Python baseline of one FPN training step (Debian's torch), for
bench/train_step_bench.cc: the same network (fpn_reference.FPN), losses
(cross-entropy + L2) and optimizer (Adam 2e-4) as facet-trainer.

  train_step_baseline.py --config in,out,min_feat,base,parsing,depth,lo,hi
                         --batch N --threads T --warmup W --steps S
Prints one JSON line: {"step_seconds": [...]} (warm-up steps excluded).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from fpn_reference import FPN  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = [int(v) for v in a.config.split(",")]
    torch.manual_seed(1)
    net = FPN(*cfg)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.9, 0.999))
    s = cfg[0]
    lq = torch.rand(a.batch, 3, s, s) * 2 - 1
    hq = torch.rand(a.batch, 3, s, s) * 2 - 1
    labels = torch.randint(0, cfg[4], (a.batch, s, s))
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        logits, image = net(lq)
        loss = F.cross_entropy(logits, labels) + F.mse_loss(image, hq)
        opt.zero_grad()
        loss.backward()
        opt.step()
        t1 = time.perf_counter()
        if i >= a.warmup:
            times.append(t1 - t0)
    print(json.dumps({"step_seconds": times}))


if __name__ == "__main__":
    main()
