#!/usr/bin/python3
"""Renders a Grafana dashboard's panels from a Prometheus into one PNG.

A stand-in for Grafana where none runs: each time-series panel becomes a
line chart and each heatmap an image, from the same PromQL (Grafana's
$__rate_interval and dashboard variables made concrete), fetched from
Prometheus's /api/v1/query_range. Rows become section titles. Needs only
Debian's python3-matplotlib. The image in docs/deploy.md comes from
tests/deploy/live_metrics_test.py, which runs this against a real
Prometheus scraping a real facet-server and facet-trainer.

Usage: preview.py --prometheus URL [--range 30m] [--columns 4] DASHBOARD.json OUT.png
"""
import argparse
import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def seconds(text):
    m = re.fullmatch(r"([0-9.]+)(s|m|h)?", text)
    if not m:
        raise argparse.ArgumentTypeError(f"bad duration {text}")
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def query_range(url, expr, start, end, step):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{q}", timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body.get('error')}")
    return body["data"]["result"]


def legend(fmt, labels):
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt or "")
    return text.strip() or ",".join(f"{k}={v}" for k, v in labels.items()) or "value"


def scale_for(unit, peak):
    """(factor, label) to show values of unit near peak."""
    if unit == "bytes":
        for factor, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if peak >= factor:
                return factor, name
        return 1, "B"
    if unit == "s":
        return (1, "s") if peak >= 1 else (1e-3, "ms")
    if unit == "percentunit":
        return 0.01, "%"
    return 1, {"reqps": "req/s"}.get(unit, "")


def draw_timeseries(ax, panel, series, t0):
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    peak = max((abs(v) for _, s in series for _, v in s if math.isfinite(v)), default=0)
    factor, name = scale_for(unit, peak)
    bars = panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {}).get("drawStyle") == "bars"
    for label, points in series:
        xs = [(t - t0) for t, _ in points]
        ys = [v / factor for _, v in points]
        if bars:
            ax.bar(xs, ys, width=max(1.0, (xs[-1] - xs[0]) / max(1, len(xs)) * 0.8) if len(xs) > 1 else 1,
                   label=label, alpha=0.7)
        else:
            ax.plot(xs, ys, label=label, linewidth=1.2,
                    drawstyle="steps-post" if "version" in panel.get("title", "").lower() else "default")
    if name:
        ax.set_ylabel(name, fontsize=7)
    if series:
        ax.legend(fontsize=6, loc="upper left", framealpha=0.6)


def draw_heatmap(ax, series, t0):
    def le(labels):
        v = labels.get("le", "+Inf")
        return math.inf if v == "+Inf" else float(v)
    series = sorted(series, key=lambda s: le(s[0]))
    times = sorted({t for _, pts in series for t, _ in pts})
    if not times:
        return
    index = {t: i for i, t in enumerate(times)}
    rows, prev = [], [0.0] * len(times)
    for _, pts in series:  # cumulative buckets -> counts per bucket
        cum = [0.0] * len(times)
        for t, v in pts:
            cum[index[t]] = v
        rows.append([max(0.0, c - p) for c, p in zip(cum, prev)])
        prev = cum
    ax.imshow(rows, aspect="auto", origin="lower", cmap="Blues", interpolation="nearest",
              extent=(times[0] - t0, times[-1] - t0, -0.5, len(rows) - 0.5))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([s[0].get("le", "") for s in series], fontsize=6)
    ax.set_ylabel("batch size (le)", fontsize=7)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prometheus", required=True, help="e.g. http://localhost:9090")
    parser.add_argument("--range", type=seconds, default=1800, help="e.g. 90s, 30m, 3h")
    parser.add_argument("--columns", type=int, default=4)
    parser.add_argument("dashboard")
    parser.add_argument("out")
    args = parser.parse_args()
    with open(args.dashboard, encoding="utf-8") as f:
        dashboard = json.load(f)

    end = time.time()
    start = end - args.range
    step = max(1.0, args.range / 240)
    rate_interval = f"{max(4 * step, 5):.0f}s"
    values = {"__rate_interval": rate_interval, "__interval": f"{step:.0f}s", "__range": f"{args.range:.0f}s"}

    # Section titles from rows; panels in dashboard order.
    cells = []
    section = ""
    for p in dashboard.get("panels", []):
        if p.get("type") == "row":
            section = p.get("title", "")
            continue
        if p.get("type") in ("timeseries", "heatmap"):
            cells.append((section, p))
    rows = math.ceil(len(cells) / args.columns)
    fig, axes = plt.subplots(rows, args.columns, figsize=(4.2 * args.columns, 2.7 * rows), squeeze=False)
    empty = 0
    for i, ax in enumerate(axes.flat):
        if i >= len(cells):
            ax.axis("off")
            continue
        section, panel = cells[i]
        series = []
        for t in panel.get("targets", []):
            expr = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ".*"), t.get("expr", ""))
            for r in query_range(args.prometheus, expr, start, end, step):
                points = [(float(ts), float(v)) for ts, v in r["values"]]
                series.append((r["metric"] if panel["type"] == "heatmap" else
                               legend(t.get("legendFormat"), r["metric"]), points))
        ax.set_title(f"{section} · {panel['title']}" if section else panel["title"], fontsize=9)
        ax.tick_params(labelsize=6)
        ax.set_xlabel("seconds", fontsize=6)
        ax.grid(alpha=0.3)
        if not series:
            empty += 1
            ax.text(0.5, 0.5, "no data here\n(GPU builds or a newer server)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=8, color="gray")
            continue
        if panel["type"] == "heatmap":
            draw_heatmap(ax, series, start)
        else:
            draw_timeseries(ax, panel, series, start)
    fig.suptitle(f"{dashboard.get('title', 'dashboard')} dashboard, last {args.range:.0f} s "
                 "(rendered by deploy/grafana/preview.py)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(args.out, dpi=80)
    print(f"{args.out}: {len(cells)} panels from {args.prometheus}, {empty} without data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
