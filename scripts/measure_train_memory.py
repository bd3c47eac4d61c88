#!/usr/bin/env python3
"""Measures the peak resident memory of `facet-trainer train` steps and
prints it next to the trainer's own estimate (docs/training.md, "Memory").

Each case runs the real trainer for --steps (default 2, so that Adam's state
exists during the second backward) on synthetic faces, as a child process;
the peak is the child's ru_maxrss from wait4. The estimate is read from the
trainer's "memory: estimated step peak" log line.

  scripts/measure_train_memory.py [--trainer build/trainer/facet-trainer]
      CASE...   where CASE is PRESET:BATCH, e.g. small:4 published:1
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def parse_bytes(text):
    number, unit = text.split()
    return float(number) * {"MiB": 2**20, "GiB": 2**30}[unit]


def run_case(trainer, preset, batch, steps, threads):
    work = tempfile.mkdtemp(prefix="facet-mem-")
    try:
        args = [trainer, "train", f"--to={work}/repo/m", f"--preset={preset}",
                f"--batch_size={batch}", f"--steps={steps}", "--val_every=0",
                "--publish_every=0", "--val_batches=1", "--checkpoint_every=0",
                f"--threads={threads}", "--loader_threads=1", "--memory_check=false",
                "--log_every=1"]
        start = time.monotonic()
        with open(f"{work}/log", "w") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        text = open(f"{work}/log").read()
        if status != 0:
            sys.exit(f"{preset}:{batch} failed (status {status}):\n{text[-3000:]}")
        m = re.search(r"memory: estimated step peak ([0-9.]+ [MG]iB)", text)
        estimate = parse_bytes(m.group(1)) if m else float("nan")
        per_face = re.search(r"faces x ([0-9.]+ [MG]iB)", text)
        return usage.ru_maxrss * 1024, estimate, per_face.group(1) if per_face else "?", seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--trainer", default="build/trainer/facet-trainer")
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("cases", nargs="+")
    a = p.parse_args()
    print("| preset | micro-batch | measured peak | estimate | estimate/measured | per face (est.) | run s |")
    print("|---|---|---|---|---|---|---|")
    for case in a.cases:
        preset, batch = case.rsplit(":", 1)
        peak, estimate, per_face, seconds = run_case(a.trainer, preset, int(batch), a.steps,
                                                     a.threads)
        print(f"| {preset} | {batch} | {peak / 2**30:.2f} GiB | {estimate / 2**30:.2f} GiB | "
              f"{estimate / peak:.2f} | {per_face} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
