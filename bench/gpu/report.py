#!/usr/bin/env python3
"""Turns the JSON rows of facet-bench-gpu and torch_peer.py into the
Markdown table of bench/gpu.sh: faces/s and p50 latency per batch size for
every implementation, argmax agreement of reduced precision with fp32, and
the ratios the GPU issue sets as targets.

  report.py ROWS.jsonl [MACHINE_LINE] > RESULTS.md
"""
import json
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
    machine = sys.argv[2] if len(sys.argv) > 2 else ""
    ok = [r for r in rows if "error" not in r]
    batches = sorted({r["batch"] for r in ok})
    names = []
    for r in ok:
        name = (r["impl"], r["precision"], r["graphs"])
        if name not in names:
            names.append(name)
    by = {(r["impl"], r["precision"], r["graphs"], r["batch"]): r for r in ok}
    out = ["## GPU forward (bench/gpu.sh)", ""]
    if machine:
        out += [machine, ""]
    out.append("Faces/s (p50 latency ms) per batch size; agreement = argmax agreement with the "
               "same implementation's fp32 labels (>= 99.5 % required for reduced precision).")
    out.append("")
    out.append("| implementation | precision | CUDA graphs | " +
               " | ".join("batch %d" % b for b in batches) + " | min agreement |")
    out.append("|---|---|---|" + "---|" * len(batches) + "---|")
    for impl, precision, graphs in names:
        cells, agreements = [], []
        for b in batches:
            r = by.get((impl, precision, graphs, b))
            if r is None:
                cells.append("–")
                continue
            cells.append("%.1f (%.1f)" % (r["faces_per_s"], r["p50_ms"]))
            if r.get("agreement") is not None and precision != "fp32":
                agreements.append(r["agreement"])
        agree = "%.4f" % min(agreements) if agreements else "–"
        out.append("| %s | %s | %s | %s | %s |" % (impl, precision, "on" if graphs else "off",
                                                    " | ".join(cells), agree))
    errors = [r for r in rows if "error" in r]
    if errors:
        out += ["", "Not run here:"]
        for r in errors:
            out.append("- %s %s%s: %s" % (r["impl"], r["precision"],
                                          " with CUDA graphs" if r.get("graphs") else "",
                                          r["error"]))
    # Targets: Facet bf16 best vs PyTorch eager bf16 and torch.compile bf16 at the same batch.
    lines = []
    for b in batches:
        facet = [by[k]["faces_per_s"] for k in by if k[0] == "facet" and k[1] == "bf16" and k[3] == b]
        eager = by.get(("pytorch-eager", "bf16", False, b))
        comp = by.get(("pytorch-compile", "bf16", False, b))
        if not facet:
            continue
        best = max(facet)
        parts = ["batch %d: Facet bf16 %.1f faces/s" % (b, best)]
        if eager:
            parts.append("%.2fx PyTorch eager bf16 (target >= 1.3x)" % (best / eager["faces_per_s"]))
        if comp:
            parts.append("%.2fx torch.compile bf16 (target >= 1.0x)" % (best / comp["faces_per_s"]))
        lines.append("- " + ", ".join(parts))
    if lines:
        out += ["", "Ratios (target: >= 1,000 faces/s at 512 px in bf16 on an H200-class GPU):"] + lines
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
