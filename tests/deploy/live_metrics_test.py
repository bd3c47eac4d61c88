#!/usr/bin/python3
"""A real Prometheus scraping a real facet-server and facet-trainer returns
data for every metric the Grafana dashboard and the alert rules name.

Starts, each in its own process group (killed at exit, on SIGTERM from
CTest's timeout, and by the kernel if this script dies), on loopback ports
chosen by the kernel:
  facet-server   serving a tiny network (port 0, read back from its log);
  facet-trainer  training the tiny preset (--metrics_port 0, read back) and
                 publishing into the server's repository, so the server
                 hot-reloads (model version and reload events move);
  prometheus     with deploy/prometheus/prometheus.yml, targets and
                 intervals rewritten (like tests/server/prometheus_test.cc).
Drives traffic with `facet-client bench` and one undecodable image (a
rejection), waits --seconds, then asks Prometheus for every `facet_*` name in
deploy/grafana/dashboards/facet.json and deploy/prometheus/facet_rules.yml.
A name with no data fails unless deploy/metrics-allowlist.txt lists it; a
`pending` name in that list which now has data fails too (delete its line).
Finally deploy/grafana/preview.py renders the dashboard from this Prometheus
(into a scratch folder, or --preview-out, which docs/deploy.md's image uses).

Usage: live_metrics_test.py --source DIR --server BIN --trainer BIN --client BIN
                            [--seconds 20] [--preview-out PNG]
Exit status: 0 pass, 1 fail, 77 skip (prometheus or promtool missing).
"""
import argparse
import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard_check  # noqa: E402
from promql_names import metric_names, read_allowlist  # noqa: E402

GROUPS = []  # process group ids to kill at exit
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>


def kill_all():
    for pgid in GROUPS:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def own_group_dying_with_parent():
    """In the child: its own process group, and SIGKILL when this test dies
    (even by SIGKILL, which no atexit handler sees)."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start(args, log_path, env=None):
    log = open(log_path, "wb")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                         preexec_fn=own_group_dying_with_parent, env=env)
    GROUPS.append(p.pid)
    return p


def wait_for(pattern, log_path, process, timeout):
    """The first match of pattern in the log, or exits with the log's tail."""
    end = time.time() + timeout
    while time.time() < end:
        with open(log_path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        if process.poll() is not None:
            break
        time.sleep(0.1)
    with open(log_path, errors="replace") as f:
        tail = f.read()[-3000:]
    sys.exit(f"FAIL: no /{pattern}/ from {os.path.basename(log_path)} in "
             f"{timeout} s (exit {process.poll()}):\n{tail}")


def free_loopback_port():
    # Prometheus cannot report a port it picked itself, so (as the C++
    # tests' FreeLoopbackPort) the kernel picks one and Prometheus binds it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(prom, expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def named_metrics(source):
    """{metric name: where it is named} over the dashboard and the rules."""
    import yaml
    names = {}
    with open(os.path.join(source, "deploy/grafana/dashboards/facet.json")) as f:
        dashboard = json.load(f)
    for where, expr in dashboard_check.queries(dashboard):
        for n in metric_names(expr):
            names.setdefault(n, f"dashboard {where}")
    with open(os.path.join(source, "deploy/prometheus/facet_rules.yml")) as f:
        rules = yaml.safe_load(f)
    for g in rules["groups"]:
        for r in g["rules"]:
            for n in metric_names(r["expr"]):
                names.setdefault(n, f"rule {r.get('alert') or r.get('record')}")
    return names


def traffic(client, target, image, junk, stop, work):
    """Steady concurrent load, and now and then an image that fails to decode."""
    while not stop.is_set():
        subprocess.run([client, "bench", f"--target={target}", "--concurrency=8",
                        "--warmup_s=0", "--window_s=1", "--max_windows=3",
                        "--stable_windows=3", image],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=own_group_dying_with_parent)
        subprocess.run([client, "parse", f"--target={target}", "--progress=false",
                        f"--out={work}/parsed", junk],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=own_group_dying_with_parent)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--trainer", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--seconds", type=float,
                        default=float(os.environ.get("FACET_LIVE_SECONDS", 20)))
    parser.add_argument("--preview-out",
                        default=os.environ.get("FACET_DASHBOARD_PREVIEW"))
    args = parser.parse_args()
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed (Debian package prometheus)")
            return 77

    work = tempfile.mkdtemp(prefix="facet_live_")
    atexit.register(shutil.rmtree, work, True)
    atexit.register(kill_all)  # runs first: atexit is last in, first out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated"))
    repo = os.path.join(work, "repo")

    subprocess.run([args.trainer, "init-weights", f"--to={repo}/facet", "--preset=tiny"],
                   check=True, capture_output=True)
    subprocess.run([args.trainer, "synth-faces", f"--out={work}/faces", "--faces=1"],
                   check=True, capture_output=True)
    # A PNG cut after its header: facet-client reads the size and sends it,
    # the server fails to decode it (INVALID_ARGUMENT, a rejection).
    junk = os.path.join(work, "truncated.png")
    with open(f"{work}/faces/synthetic_00000.png", "rb") as f, open(junk, "wb") as out:
        out.write(f.read(64))

    server_log = os.path.join(work, "server.log")
    server = start([args.server, f"--model_repository={repo}", "--model_name=facet",
                    "--port=0", "--metrics_port=0", "--host=127.0.0.1", "--device=cpu",
                    "--intra_op_threads=1", "--rescan_interval_ms=500"], server_log)
    m = wait_for(r"event=ready grpc_port=(\d+) metrics_port=(\d+)", server_log, server, 60)
    grpc_port, server_metrics = m.group(1), m.group(2)

    trainer_log = os.path.join(work, "trainer.log")
    trainer = start([args.trainer, "train", f"--to={repo}/facet", "--preset=tiny",
                     "--metrics_port=0", "--steps=1000000", "--val_every=20",
                     "--publish_every=40", "--checkpoint_every=1000000",
                     "--log_every=20", "--threads=1", "--loader_threads=1"], trainer_log)
    trainer_metrics = wait_for(r"metrics_port=(\d+)", trainer_log, trainer, 60).group(1)

    with open(os.path.join(args.source, "deploy/prometheus/prometheus.yml")) as f:
        config = f.read()
    for old, new in (("localhost:8501", f"127.0.0.1:{server_metrics}"),
                     ("localhost:9100", f"127.0.0.1:{trainer_metrics}"),
                     ("scrape_interval: 15s", "scrape_interval: 1s"),
                     ("evaluation_interval: 15s", "evaluation_interval: 1s"),
                     ("- facet_rules.yml", "- " + os.path.join(
                         args.source, "deploy/prometheus/facet_rules.yml"))):
        if old not in config:
            sys.exit(f"FAIL: deploy/prometheus/prometheus.yml no longer holds '{old}'")
        config = config.replace(old, new)
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(config)
    prom = free_loopback_port()
    prom_log = os.path.join(work, "prometheus.log")
    prometheus = start(["prometheus", f"--config.file={work}/prometheus.yml",
                        f"--storage.tsdb.path={work}/tsdb",
                        f"--web.listen-address=127.0.0.1:{prom}"], prom_log)
    wait_for(r"Server is ready to receive web requests", prom_log, prometheus, 60)
    started = time.time()

    stop = threading.Event()
    driver = threading.Thread(target=traffic, args=(
        args.client, f"127.0.0.1:{grpc_port}", f"{work}/faces/synthetic_00000.png",
        junk, stop, work))
    driver.start()
    time.sleep(args.seconds)
    stop.set()
    driver.join()
    time.sleep(2)  # a last scrape after the load

    failures = []
    for job in ("facet-server", "facet-trainer"):
        up = query(prom, f'up{{job="{job}"}}')
        if not up or up[0]["value"][1] != "1":
            failures.append(f"Prometheus does not scrape job {job}: {up}")
    # The check itself must be able to fail: a name nothing exports has no data.
    if query(prom, 'count({__name__="facet_no_such_metric_total"})'):
        failures.append("Prometheus reports data for a metric nobody exports")
    allow = read_allowlist(os.path.join(args.source, "deploy/metrics-allowlist.txt"))
    names = named_metrics(args.source)
    found = 0
    for name in sorted(names):
        has_data = bool(query(prom, f"count({{__name__=\"{name}\"}})"))
        found += has_data
        kind = allow.get(name, (None,))[0]
        if not has_data and kind is None:
            failures.append(f"{name} ({names[name]}) has no data; facet-server and "
                            "facet-trainer do not export it (or list it in "
                            "deploy/metrics-allowlist.txt with the reason)")
        if has_data and kind == "pending":
            failures.append(f"{name} is exported now: delete its 'pending' line "
                            "from deploy/metrics-allowlist.txt")
        print(f"{'data' if has_data else 'none':4}  {name}"
              f"{'  (allow-list: ' + kind + ')' if kind else ''}")
    for name in allow:
        if name not in names:
            failures.append(f"deploy/metrics-allowlist.txt lists {name}, which "
                            "neither the dashboard nor the rules name")
    version = query(prom, "max(facet_model_version)")
    print(f"server model version at the end: {version[0]['value'][1] if version else '?'}")

    preview_dir = os.path.join(work, "preview")
    os.makedirs(preview_dir)
    out = args.preview_out or os.path.join(preview_dir, "dashboard.png")
    span = int(time.time() - started) + 1
    r = subprocess.run(["/usr/bin/python3", os.path.join(args.source, "deploy/grafana/preview.py"),
                        f"--prometheus=http://127.0.0.1:{prom}", f"--range={span}s",
                        os.path.join(args.source, "deploy/grafana/dashboards/facet.json"), out],
                       capture_output=True, text=True)
    print(r.stdout + r.stderr)
    if r.returncode != 0:
        failures.append(f"deploy/grafana/preview.py failed (exit {r.returncode})")
    elif not os.path.exists(out) or os.path.getsize(out) < 20000:
        failures.append(f"deploy/grafana/preview.py wrote no plausible PNG at {out}")

    for f in failures:
        print(f"FAIL: {f}")
    print(f"{found} of {len(names)} named metrics have data after {args.seconds:.0f} s; "
          f"{len(failures)} problem(s)")
    if failures:
        for log in (server_log, trainer_log, prom_log):
            with open(log, errors="replace") as f:
                print(f"--- {os.path.basename(log)} (tail)\n{f.read()[-1500:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
