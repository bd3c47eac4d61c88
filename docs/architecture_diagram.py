#!/usr/bin/python3
"""Draws docs/images/architecture.png, the picture in docs/architecture.md.

Run with Debian's Python (python3-matplotlib):  /usr/bin/python3 docs/architecture_diagram.py
Boxes are folders (one CMake target each); solid arrows are link dependencies
(they point down only); the dashed arrows are the two paths the page describes.
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

# name: (x, y, width, colour, subtitle)
PROGRAM, SERVER, CORE, DISK = "#dbe9f6", "#e3f1dc", "#fdf0d5", "#eeeeee"
BOXES = {
    "facet-client": (0.3, 8.6, 3.0, PROGRAM, "client/: CLI, library, photo"),
    "facet-server": (4.6, 8.6, 3.6, PROGRAM, "server/main.cc: flags, wiring"),
    "facet-trainer": (9.6, 8.6, 3.4, PROGRAM, "trainer/: train, predict, publish"),
    "proto/": (0.3, 6.7, 3.0, DISK, "facet.v1 wire types"),
    "server/service": (4.6, 6.7, 3.6, SERVER, "RPC handlers, proto <-> task"),
    "server/batching": (4.6, 5.0, 3.6, SERVER, "TaskQueue, BatchPolicy, Batcher"),
    "server/manager": (4.6, 3.3, 3.6, SERVER, "VersionSource, ModelManager"),
    "server/metrics, health": (0.3, 4.2, 3.0, SERVER, "Prometheus, gRPC health"),
    "core/image": (9.6, 5.0, 3.4, CORE, "decode, resize, palette, encode"),
    "core/repository": (9.6, 3.3, 3.4, CORE, "on-disk layout, manifest, publish"),
    "core/engine": (4.6, 1.6, 3.6, CORE, "picks the engine per model"),
    "core/onednn": (0.3, 0.0, 3.4, CORE, "oneDNN CPU forward"),
    "core/model": (4.6, 0.0, 3.6, CORE, "FPN, weight files, FaceParser"),
    "core/io, core/status": (9.6, 0.0, 3.4, CORE, "errno mapping, file I/O"),
    "model repository": (13.6, 3.3, 3.2, DISK, "<repo>/<model>/<version>/"),
}
BOX_H = 1.0

# (from, to): "depends on".
DEPENDS = [
    ("facet-client", "proto/"), ("facet-client", "core/image", 0.12),
    ("facet-server", "server/service"), ("facet-server", "server/metrics, health"),
    ("server/service", "proto/"), ("server/service", "server/batching"),
    ("server/service", "core/image"), ("server/batching", "server/manager"),
    ("server/manager", "core/repository"), ("server/manager", "core/engine"),
    ("facet-trainer", "core/image"), ("facet-trainer", "core/repository", -0.35),
    ("facet-trainer", "core/engine", 0.1),
    ("core/engine", "core/model"), ("core/engine", "core/onednn"),
    ("core/repository", "core/io, core/status"), ("core/onednn", "core/model"),
    ("core/repository", "core/model"),
    ("core/model", "core/io, core/status"),
]
# Data paths, drawn dashed: the publish path and the reload it triggers.
PATHS = [
    ("core/repository", "model repository", "publish: staging + rename", "#b03a2e"),
    ("model repository", "server/manager", "inotify + rescan: load new", "#1f618d"),
]
# Where each path's label sits (x, y).
LABELS = [(15.2, 4.5), (11.3, 1.95),
]


def anchor(name, side):
    x, y, w, _, _ = BOXES[name]
    return {
        "top": (x + w / 2, y + BOX_H),
        "bottom": (x + w / 2, y),
        "left": (x, y + BOX_H / 2),
        "right": (x + w, y + BOX_H / 2),
    }[side]


def sides(a, b):
    ax, ay, aw, _, _ = BOXES[a]
    bx, by, bw, _, _ = BOXES[b]
    if abs(ay - by) < 0.1:
        return ("right", "left") if ax < bx else ("left", "right")
    if ax + aw < bx:
        return "right", "left"
    if bx + bw < ax:
        return "left", "right"
    return ("bottom", "top") if ay > by else ("top", "bottom")


def main():
    fig, ax = plt.subplots(figsize=(16, 10))
    ax.set_xlim(-0.2, 17.0)
    ax.set_ylim(-0.4, 10.2)
    ax.axis("off")
    for name, (x, y, w, colour, subtitle) in BOXES.items():
        ax.add_patch(FancyBboxPatch((x, y), w, BOX_H, boxstyle="round,pad=0.04",
                                    facecolor=colour, edgecolor="#555555"))
        ax.text(x + w / 2, y + 0.64, name, ha="center", va="center",
                fontsize=11, weight="bold", family="monospace")
        ax.text(x + w / 2, y + 0.27, subtitle, ha="center", va="center", fontsize=8.5)
    for edge in DEPENDS:
        a, b = edge[0], edge[1]
        rad = edge[2] if len(edge) > 2 else 0.0
        sa, sb = sides(a, b)
        ax.add_patch(FancyArrowPatch(anchor(a, sa), anchor(b, sb), arrowstyle="-|>",
                                     mutation_scale=12, color="#444444", lw=1.0,
                                     shrinkA=2, shrinkB=2,
                                     connectionstyle=f"arc3,rad={rad}"))
    # The publish arrow runs straight right; the reload arrow curves under
    # core/repository back to the manager.
    a, b, label, colour = PATHS[0]
    ax.add_patch(FancyArrowPatch(anchor(a, "right"), anchor(b, "left"),
                                 arrowstyle="-|>", mutation_scale=14, color=colour,
                                 lw=2.0, linestyle="--"))
    ax.text(*LABELS[0], label, color=colour, fontsize=9, ha="center")
    a, b, label, colour = PATHS[1]
    ax.add_patch(FancyArrowPatch(anchor(a, "bottom"), anchor(b, "bottom"),
                                 arrowstyle="-|>", mutation_scale=14, color=colour,
                                 lw=2.0, linestyle="--",
                                 connectionstyle="arc3,rad=-0.25"))
    ax.text(*LABELS[1], label, color=colour, fontsize=9, ha="center")
    ax.text(0.3, 9.95, "Facet: folders (one CMake target each); solid arrows = "
            "depends on (down only); dashed = the publish and reload paths",
            fontsize=10, ha="left")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images",
                       "architecture.png")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(out)


if __name__ == "__main__":
    main()
