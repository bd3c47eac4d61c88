"""What bench/run_benchmarks.py measured, as RESULTS.md, results.csv and a
short summary: the machine (CPU, cores, ISA from /proc/cpuinfo, load),
versions, and per path the medians, [min-max] ranges, ratios and whether
issue 10's targets are met.

Speeds are compared as ratios > 1 = Facet faster: for the forward, the
peer's median seconds over Facet's; for serving, Facet's median faces/s over
Python's. A ratio's range is that of the same ratio per pair (forward) or
per round (serving).
"""
import csv
import datetime
import json
import os
import platform
import re
import subprocess
import statistics

ISA_FLAGS = [("AVX2", "avx2"), ("AVX-512F", "avx512f"),
             ("AVX-512 VNNI", "avx512_vnni"), ("AVX-512 BF16", "avx512_bf16"),
             ("AMX BF16", "amx_bf16")]

# (what, required ratio, aim) of issue 10 section 3.
FORWARD_TARGETS = [("pytorch eager", 2.0, 2.5), ("onnxruntime", 1.0, 1.2)]
SERVING_C8 = (1.5, None)
TRAINING = (1.0, None)


# ------------------------------------------------------------ collection

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine_info():
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    flags = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M)
    flags = set(flags.group(1).split()) if flags else set()
    quota = _read("/sys/fs/cgroup/cpu.max").split()
    mem = re.search(r"MemTotal:\s*(\d+)", _read("/proc/meminfo"))
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cgroup_cpu_max": " ".join(quota) if quota else "none",
        "isa": {name: flag in flags for name, flag in ISA_FLAGS},
        "memory_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "kernel": platform.release(),
        "loadavg_before": os.getloadavg(),
        "date": datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M UTC"),
    }


def _cmd(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def versions(tools):
    import cv2
    import grpc
    import numpy
    import torch
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = _cmd(["git", "-C", source, "rev-parse", "--short", "HEAD"])
    if _cmd(["git", "-C", source, "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    debs = {}
    for pkg in ("libtorch-dev", "libdnnl-dev", "python3-torch", "libgrpc++-dev"):
        debs[pkg] = _cmd(["dpkg-query", "-W", "-f=${Version}", pkg]) or "-"
    ort = "-"
    try:
        with open(os.path.join(tools.ort_modules, "node_modules",
                               "onnxruntime-node", "package.json")) as f:
            ort = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        pass
    return {"facet commit": commit or "-",
            "python": platform.python_version(), "torch (Python)": torch.__version__,
            "numpy": numpy.__version__, "opencv (Python)": cv2.__version__,
            "grpcio": grpc.__version__,
            "node": _cmd([tools.node, "--version"]) if tools.node else "-",
            "onnxruntime-node": ort,
            **{f"Debian {k}": v for k, v in debs.items()}}


def parse_training(text):
    """facet-bench-train's output -> its numbers (and the text)."""
    out = {"output": text}
    num = r"([0-9.]+)"
    for key, label in (("cpp", r"C\+\+ \(FpnTrainer\)"), ("python", r"Python \(torch\)")):
        m = re.search(label + rf"\s+median {num} s/step\s+range {num}-{num}", text)
        if m:
            out[key] = {"median": float(m.group(1)), "min": float(m.group(2)),
                        "max": float(m.group(3))}
    m = re.search(r"training step: (.*)", text)
    out["setup"] = m.group(1).strip() if m else ""
    m = re.search(rf"data wait: {num} %(.*)", text)
    if m:
        out["data_wait_percent"] = float(m.group(1))
        out["data_wait_setup"] = m.group(2).strip()
    if "cpp" in out and "python" in out:
        out["ratio"] = out["python"]["median"] / out["cpp"]["median"]
    return out


# ---------------------------------------------------------------- maths

def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def forward_table(fwd):
    """Per peer: stats of seconds, and the ratio of every other peer to it.
    Returns {name: {"stats", "agreement", "info", "error"}}."""
    table = {}
    for p in fwd.get("peers", []):
        table[p["name"]] = {"stats": stats(p["seconds"]), "seconds": p["seconds"],
                            "agreement": p.get("agreement"),
                            "classes": p.get("classes"),
                            "info": p.get("info", {}), "error": p.get("error")}
    return table


def speedup(table, facet, peer):
    """(median ratio, per-pair stats) of peer seconds / facet seconds."""
    f, q = table.get(facet), table.get(peer)
    if not f or not q or not f["stats"] or not q["stats"]:
        return None, None
    per_pair = [b / a for a, b in zip(f["seconds"], q["seconds"]) if a > 0]
    return q["stats"]["median"] / f["stats"]["median"], stats(per_pair)


def facet_peers(table):
    return [n for n, v in table.items() if n.startswith("facet") and v["stats"]]


def serving_point(point, key, metric):
    if metric == "throughput":
        return stats([lv["throughput_per_s"] for lv in point[key]])
    if metric == "counted":
        return stats([lv.get("throughput_counted", lv["throughput_per_s"])
                      for lv in point[key]])
    return stats([lv["latency_ms"][metric] for lv in point[key]])


def serving_ratio(point):
    f = serving_point(point, "facet", "throughput")
    p = serving_point(point, "python", "throughput")
    if not f or not p or p["median"] <= 0:
        return None, None
    per_round = [a["throughput_per_s"] / b["throughput_per_s"]
                 for a, b in zip(point["facet"], point["python"])
                 if b["throughput_per_s"] > 0]
    return f["median"] / p["median"], stats(per_round)


def agreement_failures(results, minimum):
    out = []
    fwd = results.get("forward", {})
    for p in fwd.get("peers", []):
        a = p.get("agreement")
        if a is not None and a < minimum:
            out.append(f"forward: argmax agreement of {p['name']} with PyTorch "
                       f"is {a:.5f} < {minimum}")
    for s in results.get("serving", []) if isinstance(results.get("serving"), list) else []:
        if s.get("agreement") is not None and s["agreement"] < minimum:
            out.append(f"serving {s['size']} px: argmax agreement facet-server/"
                       f"Python server is {s['agreement']:.5f} < {minimum}")
    return out


def targets(results):
    """[(target, measured text, met: True/False/None)]."""
    rows = []
    table = forward_table(results.get("forward", {}))
    facets = [n for n in facet_peers(table) if n.endswith("fp32")]
    main = facets[0] if facets else None
    size = results.get("forward", {}).get("size", 512)
    for peer, need, aim in FORWARD_TARGETS:
        r, _ = speedup(table, main, peer) if main else (None, None)
        rows.append((f"forward {size} px, {main or 'Facet'} vs {peer}: >= {need}x "
                     f"(aim {aim}x)", fmt_ratio(r), None if r is None else r >= need))
    serving = results.get("serving")
    if isinstance(serving, list):
        worst = None
        for s in serving:
            for point in s["points"]:
                r, _ = serving_ratio(point)
                if r is None:
                    continue
                if worst is None or r < worst[0]:
                    worst = (r, s["size"], point["concurrency"])
                if s["size"] == min(x["size"] for x in serving) and \
                        point["concurrency"] == 8:
                    rows.append((f"serving {s['size']} px, concurrency 8: >= "
                                 f"{SERVING_C8[0]}x Python", fmt_ratio(r),
                                 r >= SERVING_C8[0]))
        if worst:
            rows.append(("serving: >= 1.0x Python at every point",
                         f"lowest {fmt_ratio(worst[0])} ({worst[1]} px, "
                         f"concurrency {worst[2]})", worst[0] >= 1.0))
    tr = results.get("training", {})
    if "ratio" in tr:
        rows.append((f"training step: >= {TRAINING[0]}x Python",
                     fmt_ratio(tr["ratio"]), tr["ratio"] >= TRAINING[0]))
    return rows


# ------------------------------------------------------------ formatting

def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def fmt_range(s, digits=3, unit=""):
    if not s:
        return "-"
    return (f"{s['median']:.{digits}f}{unit} [{s['min']:.{digits}f}–"
            f"{s['max']:.{digits}f}]")


def yes_no(v):
    return {True: "met", False: "**missed**", None: "not measured"}[v]


def write_markdown(results, path):
    m, lines = results["machine"], []
    add = lines.append
    mode = results["mode"]
    add("# Facet against the alternatives: benchmark results\n")
    add(f"Written by `./facet bench` (`bench/run_benchmarks.py`, mode **{mode}**) on "
        f"{m['date']} in {results['wall_seconds']:.0f} s. Ratios above 1 mean "
        "Facet is faster. Medians with [min–max] ranges. Every peer runs the "
        "same weights (the network of `facet-trainer init-weights --preset "
        f"{results['settings']['preset']}`, exported with `export-weights`) "
        "with the same number of threads.\n")
    if mode == "smoke":
        add("> Smoke run: one iteration of every path on the small network; the "
            "numbers check that everything runs and mean nothing.\n")
    if results["failures"]:
        add("**Failures:**\n")
        for f in results["failures"]:
            add(f"- {f}")
        add("")

    add("## Machine\n")
    isa = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in m["isa"].items())
    add("| | |\n|---|---|")
    add(f"| CPU | {m['cpu']} |")
    add(f"| cores | {m['usable_cpus']} usable of {m['logical_cpus']} logical "
        f"(cgroup cpu.max: {m['cgroup_cpu_max']}) |")
    add(f"| ISA (from /proc/cpuinfo) | {isa} |")
    add(f"| memory | {m['memory_gib']} GiB |")
    la = lambda v: " / ".join(f"{x:.2f}" for x in v)
    add(f"| load average (1/5/15 min) before | {la(m['loadavg_before'])} |")
    add(f"| load average after | {la(m.get('loadavg_after', (0, 0, 0)))} |")
    for k, v in results.get("versions", {}).items():
        add(f"| {k} | {v} |")
    add("")

    add("## Targets (issue 10)\n")
    add("| target | measured | |\n|---|---|---|")
    for what, measured, met in targets(results):
        add(f"| {what} | {measured} | {yes_no(met)} |")
    add("")

    _forward_md(results, add)
    _serving_md(results, add)
    _training_md(results, add)
    _verbatim_md(results, "data", "Training data path", add)
    _verbatim_md(results, "model", "facet-bench-model", add)
    _verbatim_md(results, "distributed", "Data-parallel training (1 vs 2 ranks, all-reduce)", add)
    _profile_md(results, add)

    s = results["settings"]
    add("## How this was run\n")
    add(f"- Command: `{s['command']}`")
    add(f"- Threads for every forward: {s['threads']}. Python server: "
        f"{s['python_workers']} ThreadPoolExecutor workers. facet-server flags "
        f"beyond the benchmark's own: `{s['facet_server_args'] or '(defaults)'}`.")
    add(f"- Agreement checks use the face `{s['agreement_image']}`; the load "
        f"generator sends `{s['load_image'] or 'its own synthetic face (256 px PNG)'}`.")
    add("- Section wall times: " + ", ".join(
        f"{k} {v:.0f} s" for k, v in results.get("section_seconds", {}).items()))
    if results.get("ort_problem"):
        add(f"- ONNX Runtime peer left out: {results['ort_problem']}")
    add("- Logs, weights, the ONNX file and results.json: the work folder "
        "(`<build>/bench/work`).")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _forward_md(results, add):
    fwd = results.get("forward")
    if fwd is None:
        return
    add(f"## Forward: one face, {fwd.get('size', '?')} px, batch 1\n")
    if "error" in fwd:
        add(f"Failed: {fwd['error']}\n")
        return
    table = forward_table(fwd)
    facets = facet_peers(table)
    add(f"{fwd['threads']} threads per peer, {fwd['pairs']} interleaved runs of "
        "each (all peers loaded, order rotating); time of forward + argmax. "
        "Speed-up of a Facet engine over a peer: the peer's median time over "
        "the engine's, [range of the same ratio per pair].\n")
    header = "| peer | seconds | faces/s | argmax agreement with PyTorch |"
    header += "".join(f" speed-up of {f} |" for f in facets)
    add(header)
    add("|---" * (4 + len(facets)) + "|")
    for name, row in table.items():
        if row["error"]:
            add(f"| {name} | not available: {row['error']} |" + " |" * (2 + len(facets)))
            continue
        st = row["stats"]
        cells = [name, fmt_range(st), f"{1 / st['median']:.2f}",
                 "-" if row["agreement"] is None else
                 f"{row['agreement']:.5f} ({row['classes']} classes)"]
        for f in facets:
            if f == name:
                cells.append("—")
                continue
            r, per = speedup(table, f, name)
            cells.append(f"{fmt_ratio(r)} [{per['min']:.2f}–{per['max']:.2f}]"
                         if per else fmt_ratio(r))
        add("| " + " | ".join(cells) + " |")
    add("")
    for name, row in table.items():
        d = row["info"].get("describe") or row["info"].get("version")
        if d:
            add(f"- {name}: {d}")
    add("")


def _serving_md(results, add):
    serving = results.get("serving")
    if serving is None:
        return
    add("## Serving: facet-server against the Python gRPC service\n")
    if isinstance(serving, dict):
        add(f"Failed: {serving.get('error')}\n")
        return
    add("Same load generator (`facet-client bench`, closed loop, Parse of one "
        "face), both servers started once per size, points interleaved with the "
        f"order alternating, {results['settings']['rounds']} rounds. Ranges are "
        "over rounds. faces/s marked ≈ come from the mean latency (concurrency / "
        "mean latency, Little's law) because fewer than 50 faces completed in "
        "the measured windows; results.csv also has the counted rate.\n")
    for s in serving:
        add(f"### {s['size']} px network input\n")
        add(f"Start-up to SERVING: facet-server {s['startup']['facet']:.1f} s, "
            f"Python {s['startup']['python']:.1f} s. Argmax agreement of the two "
            f"services on one face: {s['agreement']:.5f} ({s['classes']} classes).\n")
        add("| concurrency | Facet faces/s | Python faces/s | ratio [per round] | "
            "Facet p50 / p99 ms | Python p50 / p99 ms | errors (F/P) |")
        add("|---|---|---|---|---|---|---|")
        for point in s["points"]:
            r, per = serving_ratio(point)
            approx = lambda key: "≈" if any(lv.get("throughput_from")
                                            for lv in point[key]) else ""
            lat = lambda key: (
                f"{serving_point(point, key, 'p50')['median']:.0f} / "
                f"{serving_point(point, key, 'p99')['median']:.0f}"
                if point[key] else "-")
            errs = lambda key: sum(sum(lv["errors"].values()) for lv in point[key])
            add(f"| {point['concurrency']} | {approx('facet')}"
                f"{fmt_range(serving_point(point, 'facet', 'throughput'), 2)} | "
                f"{approx('python')}"
                f"{fmt_range(serving_point(point, 'python', 'throughput'), 2)} | "
                f"{fmt_ratio(r)}" + (f" [{per['min']:.2f}–{per['max']:.2f}]" if per else "")
                + f" | {lat('facet')} | {lat('python')} | {errs('facet')}/{errs('python')} |")
        add("")


def _training_md(results, add):
    tr = results.get("training")
    if tr is None:
        return
    add("## Training step (facet-bench-train)\n")
    if "error" in tr:
        add(f"Failed: {tr['error']}\n")
        return
    add(f"{tr.get('setup', '')}\n")
    if "cpp" in tr and "python" in tr:
        add("| side | s/step | ratio Python/C++ |\n|---|---|---|")
        add(f"| C++ (FpnTrainer) | {fmt_range(tr['cpp'], 4)} | {fmt_ratio(tr.get('ratio'))} |")
        add(f"| Python (Debian torch) | {fmt_range(tr['python'], 4)} | |")
        add("")
    if "data_wait_percent" in tr:
        add(f"Data wait: {tr['data_wait_percent']:.2f} % "
            f"{tr['data_wait_setup']}.\n")


def _verbatim_md(results, key, title, add):
    section = results.get(key)
    if section is None:
        return
    add(f"## {title}\n")
    if "error" in section:
        add(f"Failed: {section['error']}\n")
        return
    add(f"`{section['command']}`:\n")
    add("```\n" + section["output"].rstrip() + "\n```\n")


def _profile_md(results, add):
    add("## Per-layer profile of the new engine\n")
    add("<!-- profile: facet-bench-model --profile (oneDNN engine) -->")
    pr = results.get("profile")
    if pr is None:
        add("Not run (section not selected).\n")
    elif "error" in pr:
        add(f"Failed: {pr['error']}\n")
    elif not pr["supported"]:
        add(f"Not available: {pr['why']}.\n")
    else:
        add(f"`facet-bench-model {pr['command']}`:\n")
        add("```\n" + pr["output"].rstrip() + "\n```\n")


def write_csv(results, path):
    rows = []

    def row(section, size, concurrency, peer, metric, st, unit=""):
        if st is None:
            return
        if isinstance(st, (int, float)):
            st = {"median": st, "min": st, "max": st, "n": 1}
        rows.append([section, size, concurrency, peer, metric, unit,
                     f"{st['median']:.6g}", f"{st['min']:.6g}", f"{st['max']:.6g}",
                     st["n"]])

    fwd = results.get("forward") or {}
    if "peers" in fwd:
        table = forward_table(fwd)
        size = fwd["size"]
        for name, r in table.items():
            row("forward", size, 1, name, "seconds", r["stats"], "s")
            row("forward", size, 1, name, "argmax_agreement_with_pytorch", r["agreement"])
        for f in facet_peers(table):
            for name in table:
                if name != f:
                    ratio, per = speedup(table, f, name)
                    if ratio is not None:
                        row("forward", size, 1, f"{f} vs {name}", "speedup",
                            dict(per, median=ratio), "x")
    serving = results.get("serving")
    if isinstance(serving, list):
        for s in serving:
            row("serving", s["size"], "", "facet-server", "startup_seconds",
                s["startup"]["facet"], "s")
            row("serving", s["size"], "", "python server", "startup_seconds",
                s["startup"]["python"], "s")
            row("serving", s["size"], "", "facet vs python", "argmax_agreement",
                s["agreement"])
            for p in s["points"]:
                c = p["concurrency"]
                for key, name in (("facet", "facet-server"), ("python", "python server")):
                    row("serving", s["size"], c, name, "faces_per_s",
                        serving_point(p, key, "throughput"), "1/s")
                    row("serving", s["size"], c, name, "faces_per_s_counted",
                        serving_point(p, key, "counted"), "1/s")
                    row("serving", s["size"], c, name, "p50_ms",
                        serving_point(p, key, "p50"), "ms")
                    row("serving", s["size"], c, name, "p99_ms",
                        serving_point(p, key, "p99"), "ms")
                ratio, per = serving_ratio(p)
                if ratio is not None:
                    row("serving", s["size"], c, "facet vs python", "speedup",
                        dict(per, median=ratio), "x")
    tr = results.get("training") or {}
    for key, name in (("cpp", "facet (C++)"), ("python", "python")):
        if key in tr:
            row("training", "", "", name, "seconds_per_step", dict(tr[key], n=1), "s")
    if "ratio" in tr:
        row("training", "", "", "facet vs python", "speedup", tr["ratio"], "x")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "size_px", "concurrency", "peer", "metric", "unit",
                    "median", "min", "max", "n"])
        w.writerows(rows)


def summary(results):
    lines = ["target | measured | status"]
    for what, measured, met in targets(results):
        lines.append(f"{what} | {measured} | {yes_no(met)}")
    return "\n".join(lines)
