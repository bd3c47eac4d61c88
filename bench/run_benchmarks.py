#!/usr/bin/python3
"""Facet against what a user would otherwise run: `./facet bench`.

    run_benchmarks.py --build BUILD [--smoke | --quick] [options]

Paths measured, each against its peers on the same weights (a published
network from `facet-trainer init-weights`, exported with `export-weights`):

  forward   one face at 512 px, batch 1, every peer with the same threads:
            Facet (facet-forward-peer, one process per engine/precision),
            PyTorch eager (torch_forward.py) and ONNX Runtime
            (ort_forward.mjs on onnxruntime-node, the network exported by
            export_onnx.py). All peers stay loaded; each pair runs every
            peer once, in rotating order; --pairs pairs. Argmax agreement
            of every peer with PyTorch.
  serving   facet-server against python_baseline_server.py under the same
            load generator (facet-client bench), both started once per
            input size, points interleaved (order alternating), --rounds
            rounds: 128 px at concurrency 1, 4, 8 and 512 px at 1, 4.
            faces/s, p50/p99 latency, ratio Facet/Python; argmax agreement
            of the two services on the same face.
  training  facet-bench-train (C++ FpnTrainer against Debian's torch).
  data      facet-bench-data (the training data path), its output as is.
  profile   facet-bench-model --profile, when that binary offers it.
  model     facet-bench-model at its defaults, its output as is (not run
            unless named in --sections).
  distributed  data-parallel training (not run unless named): facet-trainer
            train alone (batch 2B, --threads 2) against 2 ranks on loopback
            (batch B each, --threads 1; both ranks share this machine's
            cores), seconds per global step from the trainer's own
            images/s; and facet-bench-distributed: the gradient all-reduce
            of the --preset network (21.3 M parameters when published).

Writes RESULTS.md and results.csv to --out_dir (default: bench/ of the
source tree; --smoke: <build>/bench/smoke). --smoke runs one iteration of
every path on the small network, with no timing assertions, and fails
(exit 1) if a peer fails to start or answer or if argmax agreement between
peers is below 0.99; it exits 77 (skipped) only when onnxruntime-node is
not installed. Run with Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import peers  # noqa: E402
import results_report  # noqa: E402
from peers import PeerError  # noqa: E402

PYTHON = "/usr/bin/python3"
EXIT_SKIP = 77
MIN_AGREEMENT = 0.99


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ setup

class Tools:
    """Where the build put what the benchmark runs."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        b = self.build
        self.server = f"{b}/server/facet-server"
        self.client = f"{b}/client/facet-client"
        self.trainer = f"{b}/trainer/facet-trainer"
        self.forward_peer = f"{b}/bench/facet-forward-peer"
        self.bench_train = f"{b}/bench/facet-bench-train"
        self.bench_model = f"{b}/bench/facet-bench-model"
        self.stubs = f"{b}/client/python"
        self.ort_modules = os.environ.get("FACET_ORT_MODULES", f"{b}/bench/ort")
        self.node = shutil.which("node")

    def check(self):
        missing = [p for p in (self.server, self.client, self.trainer,
                               self.forward_peer)
                   if not os.access(p, os.X_OK)]
        if not os.path.exists(f"{self.stubs}/facet/v1/facet_pb2.py"):
            missing.append(f"{self.stubs}/facet/v1/facet_pb2.py")
        if missing:
            raise PeerError("not built: " + ", ".join(missing) +
                            " (run ./facet build)")


def ort_problem(tools):
    """None if onnxruntime-node loads here, else why not."""
    if not tools.node:
        return "node is not installed"
    probe = ("const {createRequire}=require('module');"
             f"createRequire({json.dumps(tools.ort_modules + '/package.json')})"
             "('onnxruntime-node');")
    r = subprocess.run([tools.node, "-e", probe], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines() or ["?"]
        why = next((l for l in lines if "Error" in l), lines[-1]).strip()
        return (f"onnxruntime-node does not load from {tools.ort_modules} "
                f"(the build runs npm ci there): {why}")
    return None


def clean_work_dir(work):
    """Removes what an earlier run left in `work` (only the kinds of files
    this script writes there), so nothing stale is measured."""
    if not os.path.isdir(work):
        return
    for name in os.listdir(work):
        path = os.path.join(work, name)
        if name in ("repo", "logs") and os.path.isdir(path):
            shutil.rmtree(path)
        elif re.search(r"\.(pth|onnx|onnx\.tmp|rgb|u8|json|md|csv|safetensors)$",
                       name):
            os.remove(path)


def make_weights(tools, work, preset, seed, logs):
    """init-weights -> export-weights: the .pth every peer loads; then
    calibrate, so that the int8 row has its activation ranges beside it
    (<stem>.int8_scales.safetensors, on 16 synthetic degraded faces at
    128 px: ranges set the int8 grid, not the speed). The smoke calibrates
    on as many: with two faces the grid was coarse enough to take the
    random network's argmax agreement below the 0.99 gate (0.98993)."""
    pth = f"{work}/{preset}.pth"
    repo = f"{work}/repo"
    out = peers.run_tool([tools.trainer, "init-weights", "--to",
                          f"{repo}/{preset}", "--preset", preset,
                          "--seed", str(seed)], f"{logs}/weights.log", 300)
    version_dir = out.strip().splitlines()[-1]
    peers.run_tool([tools.trainer, "export-weights", "--from", version_dir,
                    "--to", pth], f"{logs}/weights.log", 300)
    try:
        peers.run_tool([tools.trainer, "calibrate", "--weights", pth,
                        "--input_size", "128",
                        "--calibration_faces", "16",
                        "--seed", str(seed)], f"{logs}/weights.log", 600)
    except PeerError as e:
        # Without oneDNN there is no int8 row; the forward section says so.
        log(f"int8 calibration left out: {str(e).splitlines()[0]}")
    return pth


def face_image(args, work):
    """The face every agreement check uses: --image, else the shared
    fixture photo, else a synthetic one. Returns an HxWx3 RGB array."""
    import cv2
    for path in (args.image, args.shared_dir and
                 f"{args.shared_dir}/fixtures/astronaut.png"):
        if path and os.path.exists(path):
            bgr = cv2.imread(path, cv2.IMREAD_COLOR)
            if bgr is not None:
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), path
    s = 256
    y, x = np.mgrid[0:s, 0:s].astype(np.float32)
    r = ((x - s / 2) ** 2 / (s * 0.32) ** 2 + (y - s / 2) ** 2 / (s * 0.42) ** 2)
    rgb = np.stack([128 + 100 * np.sin(x / 20), 128 + 100 * np.cos(y / 25),
                    np.where(r < 1, 200, 60) + 0 * x], -1)
    return rgb.clip(0, 255).astype(np.uint8), "synthetic"


# --------------------------------------------------------------- forward

def forward_variants(args, tools):
    """(engine, precision) pairs of Facet to measure."""
    if args.facet_variants != "auto":
        return [tuple(v.split(":")) if ":" in v else (v, "fp32")
                for v in args.facet_variants.split(",") if v]
    listing = json.loads(subprocess.run(
        [tools.forward_peer, "--list_engines"], capture_output=True,
        text=True, check=True, timeout=60).stdout)
    variants = [(e, "fp32") for e in listing["engines"]]
    if "onednn" in listing["engines"]:
        variants += [("onednn", "bf16"), ("onednn", "int8")]
    return variants


def run_forward(args, tools, pth, size, rgb, work, logs, ort_ok):
    import cv2
    face = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR)
    face_path = f"{work}/face{size}.rgb"
    face.tofile(face_path)
    threads = args.threads
    timeout = 120 if args.smoke else 900
    specs = []
    for engine, precision in forward_variants(args, tools):
        specs.append((f"facet {engine} {precision}", [
            tools.forward_peer, "--weights", pth, "--input", face_path,
            "--input_size", str(size), "--engine", engine,
            "--precision", precision, "--threads", str(threads)]))
    specs.append(("pytorch eager", [
        PYTHON, f"{HERE}/torch_forward.py", "--weights", pth, "--input",
        face_path, "--input_size", str(size), "--threads", str(threads)]))
    onnx = None
    if ort_ok:
        onnx = f"{work}/fpn{size}.onnx"
        log(f"exporting the network to ONNX ({size} px)")
        peers.run_tool([PYTHON, f"{HERE}/export_onnx.py", "--weights", pth,
                        "--input_size", str(size), "--out", onnx],
                       f"{logs}/onnx_export.log", 600)
        specs.append(("onnxruntime", [
            tools.node, f"{HERE}/ort_forward.mjs", "--model", onnx, "--input",
            face_path, "--input_size", str(size), "--threads", str(threads),
            "--modules", tools.ort_modules]))

    result = {"size": size, "threads": threads, "pairs": args.pairs,
              "peers": []}
    live = []
    for name, cmd in specs:
        log(f"forward: loading {name}")
        entry = {"name": name, "seconds": [], "info": {}}
        result["peers"].append(entry)
        try:
            peer = peers.ForwardPeer(name, cmd, f"{logs}/forward.log", timeout)
        except PeerError as e:
            # A Facet precision the CPU or the weights cannot offer is a
            # finding, not a failure; anything else is.
            refused = name.startswith("facet") and not name.endswith("fp32")
            entry["error"] = str(e).splitlines()[0]
            if refused:
                log(f"forward: {name} not available: {entry['error']}")
                continue
            raise
        entry["info"] = peer.info
        live.append((entry, peer))

    for pair in range(args.pairs):
        order = live[pair % len(live):] + live[:pair % len(live)]
        for entry, peer in order:
            entry["seconds"].append(peer.run())
        log("forward: pair %d/%d: %s" % (pair + 1, args.pairs, ", ".join(
            f"{e['name']} {e['seconds'][-1]:.3f}s" for e, _ in live)))

    reference = None
    for entry, peer in live:
        entry["labels"] = peer.labels(f"{work}/labels_{size}_"
                                      f"{entry['name'].replace(' ', '_')}.u8")
        if entry["name"] == "pytorch eager":
            reference = np.fromfile(entry["labels"], np.uint8)
    for entry, peer in live:
        peer.close()
        ours = np.fromfile(entry["labels"], np.uint8)
        entry["agreement"] = float((ours == reference).mean())
        entry["classes"] = int(len(np.unique(ours)))
    return result


# --------------------------------------------------------------- serving

def start_facet_server(args, tools, pth, size, logs):
    cmd = [tools.server, "--model", pth, "--input_size", str(size),
           "--host", "127.0.0.1", "--port", "0", "--metrics_port", "-1"]
    cmd += shlex.split(args.facet_server_args)
    t0 = time.monotonic()
    server = peers.Server("facet-server", cmd, f"{logs}/facet_server_{size}.log",
                          r"event=ready grpc_port=(\d+)", 120)
    peers.run_tool([tools.client, "health", "--target", server.target,
                    "--wait_s", "900"], f"{logs}/client.log", 960)
    server.startup_seconds = time.monotonic() - t0
    return server


def start_python_server(args, tools, pth, size, logs):
    cmd = [PYTHON, f"{HERE}/python_baseline_server.py", "--weights", pth,
           "--input_size", str(size), "--port", "0", "--stubs", tools.stubs,
           "--workers", str(args.python_workers), "--threads", str(args.threads)]
    t0 = time.monotonic()
    server = peers.Server("python server", cmd, f"{logs}/python_server_{size}.log",
                          r"^port (\d+)", 600)
    server.startup_seconds = time.monotonic() - t0
    return server


def load_settings(args, concurrency, per_face):
    """facet-client bench flags for one point. per_face: seconds of one
    request alone on the slower server. The warm-up fills the pipeline
    (concurrency requests); when a face takes well under a second (128 px),
    windows run until three agree within 10 %; when it takes seconds
    (512 px), two fixed windows, each long enough for 4 faces (3 with
    --quick) and for a whole batch of `concurrency` to complete, so that a
    point costs a known time."""
    if args.smoke:
        return ["--warmup_s", "0.2", "--window_s", "1", "--stable_windows", "1",
                "--max_windows", "2", "--stability", "1"]
    warmup = max(2.0, concurrency * per_face)
    if per_face < 0.5:
        window = max(2.0 if args.quick else 3.0, 5 * per_face)
        return ["--warmup_s", f"{warmup:.1f}", "--window_s", f"{window:.1f}",
                "--stable_windows", "3", "--max_windows",
                "6" if args.quick else "8", "--stability", "0.10"]
    faces = max(3 if args.quick else 4, concurrency + 1)
    window = max(8.0, faces * per_face)
    return ["--warmup_s", f"{warmup:.1f}", "--window_s", f"{window:.1f}",
            "--stable_windows", "2", "--max_windows", "2", "--stability", "1"]


# Below this many completions in the measured windows, faces/s comes from
# the mean latency instead of the count (see bench_point).
MIN_COUNTED = 50


def bench_point(args, tools, server, concurrency, per_face, logs):
    cmd = [tools.client, "bench", "--target", server.target, "--concurrency",
           str(concurrency), "--json", "--deadline_ms", "900000"]
    cmd += load_settings(args, concurrency, per_face)
    if args.load_image:
        cmd.append(args.load_image)
    if not server.alive():
        raise PeerError(f"{server.name} exited:\n"
                        f"{peers.log_tail(server.proc.log_path)}")
    # Exit code 1 (some requests failed) still reports; the errors count.
    text = peers.run_tool(cmd, f"{logs}/client.log", 1800, check=False)
    try:
        out = json.loads(text)
    except ValueError:
        raise PeerError(f"facet-client bench against {server.name} failed:\n"
                        f"{peers.log_tail(f'{logs}/client.log')}")
    level = out["levels"][0]
    # A closed loop of `concurrency` clients with no think time completes
    # concurrency / mean latency faces/s (Little's law). With few
    # completions (512 px: seconds a face, whole batches finishing at once)
    # that is far less quantised than counting them in the windows.
    level["throughput_counted"] = level["throughput_per_s"]
    mean_s = level["latency_ms"]["mean"] / 1000
    if 0 < level["ok"] < MIN_COUNTED and mean_s > 0:
        level["throughput_per_s"] = concurrency / mean_s
        level["throughput_from"] = "mean latency"
    if level["ok"] == 0:
        message = (f"{server.name} completed no request at concurrency "
                   f"{concurrency} in the measured windows (errors "
                   f"{level['errors'] or 'none'})")
        if args.smoke or level["errors"]:
            raise PeerError(message + "\n" + peers.log_tail(server.proc.log_path))
        log(f"warning: {message}; recorded as 0 faces/s")
    return level


def labels_from(pb2, stub, image_png):
    """(label map at the network size, seconds) of one Parse."""
    t0 = time.monotonic()
    response = stub.Parse(pb2.ParseRequest(
        image=pb2.Image(encoded=image_png), output_size=2,  # NETWORK
        label_encoding=3), timeout=900)                      # RAW
    seconds = time.monotonic() - t0
    lab = response.labels
    return np.frombuffer(lab.data, np.uint8).reshape(lab.height, lab.width), seconds


def serving_agreement(tools, facet, python, rgb):
    """Sends one face to both services, twice. Returns the fraction of label
    pixels (at the network size) on which they agree, the number of classes
    in Python's map, and the seconds of the slower second request."""
    import cv2
    import grpc
    sys.path.insert(0, tools.stubs)
    from facet.v1 import facet_pb2, facet_pb2_grpc
    png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
    maps, slowest = [], 0.0
    for server in (facet, python):
        with grpc.insecure_channel(server.target) as channel:
            stub = facet_pb2_grpc.FaceServiceStub(channel)
            labels_from(facet_pb2, stub, png)
            labels, seconds = labels_from(facet_pb2, stub, png)
            maps.append(labels)
            slowest = max(slowest, seconds)
    if maps[0].shape != maps[1].shape:
        raise PeerError(f"label maps differ in size: {maps[0].shape} vs "
                        f"{maps[1].shape}")
    return (float((maps[0] == maps[1]).mean()), int(len(np.unique(maps[1]))),
            slowest)


def run_serving(args, tools, pth, size, levels, rgb, logs):
    log(f"serving {size} px: starting facet-server and the Python server")
    facet = python = None
    try:
        facet = start_facet_server(args, tools, pth, size, logs)
        python = start_python_server(args, tools, pth, size, logs)
        return serve_points(args, tools, facet, python, size, levels, rgb, logs)
    finally:
        for server in (facet, python):
            if server:
                server.close()


def serve_points(args, tools, facet, python, size, levels, rgb, logs):
    result = {"size": size, "startup": {"facet": facet.startup_seconds,
                                        "python": python.startup_seconds}}
    agreement, classes, per_face = serving_agreement(tools, facet, python, rgb)
    result.update(agreement=agreement, classes=classes, per_face=per_face)
    log(f"serving {size} px: argmax agreement facet/python {agreement:.5f} "
        f"({classes} classes); start-up facet {facet.startup_seconds:.1f} s, "
        f"python {python.startup_seconds:.1f} s; one face {per_face:.2f} s")
    points = {c: {"concurrency": c, "facet": [], "python": []} for c in levels}
    result["points"] = list(points.values())
    step = 0
    for r in range(args.rounds):
        for c in levels:
            order = [("facet", facet), ("python", python)]
            if step % 2:
                order.reverse()
            step += 1
            for key, server in order:
                level = bench_point(args, tools, server, c, per_face, logs)
                points[c][key].append(level)
                log(f"serving {size} px round {r + 1} concurrency {c}: {key} "
                    f"{level['throughput_per_s']:.2f} faces/s, p50 "
                    f"{level['latency_ms']['p50']:.0f} ms")
    return result


# ------------------------------------------------------ training, profile

def run_training(args, tools, logs):
    cmd = [tools.bench_train] + (["--smoke"] if args.smoke else
                                 ["--runs", str(args.train_runs)])
    env = dict(os.environ, FACET_SOURCE_DIR=SOURCE)
    text = peers.run_tool(cmd, f"{logs}/training.log", 1800, env=env)
    return results_report.parse_training(text)


def run_verbatim(args, tools, binary, logs):
    """A facet-bench-* binary's own report, included as it prints it."""
    path = f"{tools.build}/bench/{binary}"
    cmd = [path] + (["--smoke"] if args.smoke else [])
    return {"command": binary + (" --smoke" if args.smoke else ""),
            "output": peers.run_tool(cmd, f"{logs}/{binary}.log", 1800)}


def run_profile(args, tools, logs):
    """facet-bench-model --profile (the oneDNN engine's per-layer table) if
    this build's binary has the flag; only the profile, where its flags
    allow skipping the rest (--compare=false, --batches 1, --runs 1)."""
    if not os.access(tools.bench_model, os.X_OK):
        return {"supported": False, "why": "facet-bench-model is not built"}
    helptext = subprocess.run([tools.bench_model, "--helpfull"],
                              capture_output=True, text=True, timeout=60)
    flags = set(re.findall(r"--(\w+) \(", helptext.stdout + helptext.stderr))
    if "profile" not in flags:
        return {"supported": False,
                "why": "this build's facet-bench-model has no --profile"}
    cmd = ["--profile"]
    if args.smoke:
        cmd.append("--smoke")
    else:
        for flag, extra in (("engine", ["--engine", "onednn"]),
                            ("compare", ["--compare=false"]),
                            ("batches", ["--batches", "1"]),
                            ("runs", ["--runs", "1"]),
                            ("threads", ["--threads", str(args.threads)])):
            if flag in flags:
                cmd += extra
    return {"supported": True, "command": " ".join(cmd),
            "output": peers.run_tool([tools.bench_model] + cmd,
                                     f"{logs}/profile.log", 1200)}


# ------------------------------------------------------------------ main

def trainer_rate(log_text):
    """images/s of the last step line of a facet-trainer log."""
    found = re.findall(r"step=(\d+)/\d+ .*?images_per_s=([0-9.]+)", log_text)
    if not found:
        raise PeerError("no step line in the trainer's log")
    return float(found[-1][1])


def run_distributed(args, tools, logs):
    """1 vs 2 ranks of facet-trainer, then the all-reduce benchmark."""
    preset = "tiny" if args.smoke else args.dist_preset
    steps = 2 if args.smoke else args.dist_steps
    batch = 2 if args.smoke else args.dist_batch
    common = ["train", f"--preset={preset}", f"--steps={steps}", "--val_every=0",
              "--publish_every=0", "--val_batches=1", "--log_every=1",
              "--loader_threads=1", "--checkpoint_every=0", "--seed=1"]
    lines = []
    work = os.path.dirname(logs)

    def trainer(name, extra, env_extra=None):
        env = dict(os.environ)
        for k in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK"):
            env.pop(k, None)
        env.update(env_extra or {})
        log_path = f"{logs}/{name}.log"
        out = open(log_path, "w")
        p = subprocess.Popen([tools.trainer] + common + extra +
                             [f"--to={work}/dist-{name}/m"],
                             stdout=out, stderr=subprocess.STDOUT, env=env)
        return p, log_path

    def wait(procs):
        for p, path in procs:
            if p.wait(timeout=1800) != 0:
                raise PeerError(f"facet-trainer failed (exit {p.returncode}); see {path}")
        return [open(path).read() for _, path in procs]

    (alone,) = wait([trainer("alone", [f"--batch_size={2 * batch}", "--threads=2"])])
    with socket.socket() as sock:  # A free loopback port for rank 0's store.
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ranks = wait([trainer(f"rank{r}", [f"--batch_size={batch}", "--threads=1",
                                       "--collective_timeout=600"],
                          {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                           "WORLD_SIZE": "2", "RANK": str(r), "LOCAL_RANK": str(r)})
                  for r in (0, 1)])
    rate1 = trainer_rate(alone)
    rate2 = trainer_rate(ranks[0])
    lines.append(f"facet-trainer train --preset {preset}, global batch {2 * batch}, {steps} steps "
                 f"(rate of the last 2 s window); both ranks share this machine's "
                 f"{len(os.sched_getaffinity(0))} cores")
    lines.append(f"1 rank  (batch {2 * batch}, 2 threads):        {rate1:.2f} images/s = "
                 f"{2 * batch / rate1:.3f} s per global step")
    lines.append(f"2 ranks (batch {batch} each, 1 thread each): {rate2:.2f} images/s = "
                 f"{2 * batch / rate2:.3f} s per global step (scaling {rate2 / rate1:.2f}x)")
    cmd = [f"{tools.build}/bench/facet-bench-distributed"] + (
        ["--smoke"] if args.smoke else [f"--preset={args.preset}"])
    lines.append(peers.run_tool(cmd, f"{logs}/facet-bench-distributed.log", 1800).rstrip())
    return {"command": "run_benchmarks.py --sections distributed (facet-trainer ranks; "
                       + " ".join(os.path.basename(c) for c in cmd) + ")",
            "output": "\n".join(lines)}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--build", help="the CMake build folder (required unless "
                   "--from_json)")
    p.add_argument("--from_json", help="only write the report again from the "
                   "results.json of an earlier run")
    p.add_argument("--smoke", action="store_true",
                   help="one iteration of every path, small network, checks only")
    p.add_argument("--quick", action="store_true",
                   help="shorter: 3 forward pairs, shorter windows, 2 training runs")
    p.add_argument("--out_dir", help="where RESULTS.md and results.csv go")
    p.add_argument("--work_dir", help="weights, ONNX, inputs and logs "
                   "(default <build>/bench/work or .../smoke)")
    p.add_argument("--sections", default="forward,serving,training,data,profile",
                   help="any of forward,serving,training,data,profile,model,distributed")
    p.add_argument("--preset", default="published",
                   help="network (facet-trainer init-weights --preset)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--forward_size", type=int, default=512)
    p.add_argument("--pairs", type=int, default=5, help="forward: runs of each peer")
    p.add_argument("--facet_variants", default="auto",
                   help="forward: ENGINE[:PRECISION],... (auto: every engine "
                   "built in at fp32, plus onednn bf16 and int8 where offered)")
    p.add_argument("--rounds", type=int, default=2, help="serving rounds")
    p.add_argument("--serving", default="128:1,4,8;512:1,4",
                   help="serving points: SIZE:CONCURRENCY,...;...")
    p.add_argument("--facet_server_args", default="",
                   help="extra facet-server flags (default: its defaults)")
    p.add_argument("--python_workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=0,
                   help="forward threads of every peer (0: usable cores)")
    p.add_argument("--train_runs", type=int, default=5)
    p.add_argument("--dist_preset", default="small",
                   help="distributed: network of the 1 vs 2 rank runs")
    p.add_argument("--dist_batch", type=int, default=4,
                   help="distributed: faces per rank (alone: twice as many)")
    p.add_argument("--dist_steps", type=int, default=30,
                   help="distributed: steps of each run")
    p.add_argument("--image", help="face for the agreement checks")
    p.add_argument("--load_image", help="image the load generator sends "
                   "(default: its own synthetic face)")
    p.add_argument("--shared_dir", default=os.path.join(SOURCE, "..", "shared"))
    a = p.parse_args(argv)
    if not a.build and not a.from_json:
        p.error("--build is required")
    if a.threads <= 0:
        a.threads = len(os.sched_getaffinity(0))
    if a.smoke:
        a.preset, a.pairs, a.rounds, a.forward_size = "small", 1, 1, 128
        a.serving = "128:1"
    elif a.quick:
        a.pairs, a.train_runs = 3, 2
    a.sections = set(a.sections.split(","))
    return a


def main(argv):
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            return report(json.load(f), args.out_dir or HERE)
    peers.install_cleanup()
    started = time.monotonic()
    tools = Tools(args.build)
    tools.check()
    mode = "smoke" if args.smoke else "work"
    work = os.path.abspath(args.work_dir or f"{tools.build}/bench/{mode}")
    logs = f"{work}/logs"
    clean_work_dir(work)
    os.makedirs(logs, exist_ok=True)
    out_dir = args.out_dir or (work if args.smoke else HERE)
    os.makedirs(out_dir, exist_ok=True)

    problem = ort_problem(tools)
    if problem:
        if args.smoke:
            log(f"SKIPPED: {problem}")
            return EXIT_SKIP
        log(f"ONNX Runtime peer left out: {problem}")

    results = {"mode": "smoke" if args.smoke else ("quick" if args.quick else "full"),
               "machine": results_report.machine_info(),
               "settings": vars(args) | {"sections": sorted(args.sections)},
               "ort_problem": problem, "failures": []}
    results["settings"]["command"] = " ".join(sys.argv)
    rgb, image_name = face_image(args, work)
    results["settings"]["agreement_image"] = image_name
    pth = make_weights(tools, work, args.preset, args.seed, logs)
    results["versions"] = results_report.versions(tools)

    def section(name, fn):
        if name not in args.sections:
            return
        t0 = time.monotonic()
        try:
            results[name] = fn()
        except PeerError as e:
            log(f"{name}: FAILED: {e}")
            results[name] = {"error": str(e)}
            results["failures"].append(f"{name}: {str(e).splitlines()[0]}")
        results.setdefault("section_seconds", {})[name] = time.monotonic() - t0

    section("forward", lambda: run_forward(args, tools, pth, args.forward_size,
                                           rgb, work, logs, problem is None))
    serving_points = []
    for part in args.serving.split(";"):
        size, levels = part.split(":")
        serving_points.append((int(size), [int(c) for c in levels.split(",")]))
    section("serving", lambda: [run_serving(args, tools, pth, size, levels,
                                            rgb, logs)
                                for size, levels in serving_points])
    section("training", lambda: run_training(args, tools, logs))
    section("data", lambda: run_verbatim(args, tools, "facet-bench-data", logs))
    section("model", lambda: run_verbatim(args, tools, "facet-bench-model", logs))
    section("distributed", lambda: run_distributed(args, tools, logs))
    section("profile", lambda: run_profile(args, tools, logs))
    results["machine"]["loadavg_after"] = os.getloadavg()
    results["wall_seconds"] = time.monotonic() - started

    results["failures"] += results_report.agreement_failures(results, MIN_AGREEMENT)
    # The raw results first: a report can be written again from them
    # (--from_json) if writing it fails.
    with open(f"{work}/results.json", "w") as f:
        json.dump(results, f, indent=1, default=str)
    return report(results, out_dir)


def report(results, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    md = f"{out_dir}/RESULTS.md"
    csv_path = f"{out_dir}/results.csv"
    results_report.write_markdown(results, md)
    results_report.write_csv(results, csv_path)
    log(f"wrote {md} and {csv_path} ({results['wall_seconds']:.0f} s)")
    print(results_report.summary(results))
    if results["failures"]:
        for failure in results["failures"]:
            log(f"FAILED: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except PeerError as e:
        log(f"FAILED: {e}")
        sys.exit(1)
