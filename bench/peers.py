"""Child processes of Facet's benchmark (bench/run_benchmarks.py): servers,
forward peers and one-shot tools, each in its own process group, all ended
when the orchestrator exits for any reason.

  Children    every child is started in a new session (its own process
              group) and asks the kernel for SIGTERM when the orchestrator
              dies (PR_SET_PDEATHSIG), so even a SIGKILLed orchestrator
              leaves nothing behind. stop_all() (registered with atexit and
              run from SIGTERM/SIGINT/SIGHUP handlers) sends SIGTERM to each
              group still alive, then SIGKILL after a grace period.
  ForwardPeer a process that speaks the forward peer protocol (JSON lines
              out; `run` and `labels PATH` lines in): facet-forward-peer,
              torch_forward.py, ort_forward.mjs.
  Server      a gRPC server started with port 0, whose port is read back
              from its output: facet-server logs `event=ready grpc_port=N`,
              python_baseline_server.py prints `port N`.
"""
import atexit
import ctypes
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

_children = []
_lock = threading.Lock()


class PeerError(Exception):
    """A child failed to start, answered badly, or timed out."""


# Loaded here, not in the forked child, where dlopen could meet a lock that
# another thread of ours held at fork time.
_prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def spawn(cmd, log_path, **kwargs):
    """Starts `cmd` in its own process group, stdout and stderr appended to
    log_path unless given. The child is ended by stop_all()."""
    log = open(log_path, "ab")
    log.write(("$ " + " ".join(cmd) + "\n").encode())
    log.flush()
    kwargs.setdefault("stdout", log)
    kwargs.setdefault("stderr", log)
    # A new session: its own process group, away from the terminal's signals.
    proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent,
                            start_new_session=True, **kwargs)
    proc.log = log
    proc.log_path = log_path
    with _lock:
        _children.append(proc)
    return proc


def stop(proc, grace=10.0):
    """SIGTERM to the child's group, SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    with _lock:
        if proc in _children:
            _children.remove(proc)


def stop_all():
    with _lock:
        procs = list(_children)
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    with _lock:
        _children.clear()


def install_cleanup():
    atexit.register(stop_all)

    def on_signal(signum, _frame):
        stop_all()
        sys.exit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)


def log_tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def run_tool(cmd, log_path, timeout, check=True, **kwargs):
    """Runs a one-shot command to completion; returns its stdout (text).
    PeerError with the log's tail on timeout, or on a non-zero exit when
    `check`."""
    proc = spawn(cmd, log_path, stdout=subprocess.PIPE, **kwargs)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc, 2)
        raise PeerError(f"{os.path.basename(cmd[0])} timed out after "
                        f"{timeout:.0f} s (log {log_path})")
    stop(proc)
    text = out.decode(errors="replace")
    if check and proc.returncode != 0:
        raise PeerError(f"{' '.join(cmd)} exited {proc.returncode}:\n"
                        f"{text[-2000:]}{log_tail(log_path)}")
    return text


class _LineReader:
    """Lines of a pipe, read on a thread, so that reads can time out."""

    def __init__(self, pipe):
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe):
        for line in iter(pipe.readline, b""):
            self.lines.put(line.decode(errors="replace"))
        self.lines.put(None)

    def get(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return ""


class ForwardPeer:
    """One forward peer process. name: how reports call it."""

    def __init__(self, name, cmd, log_path, timeout):
        self.name, self.timeout = name, timeout
        self.proc = spawn(cmd, log_path, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE)
        self.out = _LineReader(self.proc.stdout)
        self.info = self._answer("start")
        if not self.info.get("ready"):
            raise PeerError(f"{name}: {self.info.get('error', 'not ready')}")

    def _answer(self, what):
        line = self.out.get(self.timeout)
        if line is None or (line == "" and self.proc.poll() is not None):
            raise PeerError(f"{self.name} exited ({self.proc.poll()}) during "
                            f"{what}:\n{log_tail(self.proc.log_path)}")
        if line == "":
            raise PeerError(f"{self.name}: no answer to {what} within "
                            f"{self.timeout:.0f} s")
        try:
            answer = json.loads(line)
        except ValueError:
            raise PeerError(f"{self.name}: not JSON: {line.strip()!r}")
        if "error" in answer and what != "start":
            raise PeerError(f"{self.name}: {answer['error']}")
        return answer

    def _send(self, command):
        try:
            self.proc.stdin.write((command + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise PeerError(f"{self.name} exited ({self.proc.poll()}):\n"
                            f"{log_tail(self.proc.log_path)}")

    def run(self):
        """Seconds of one timed forward."""
        self._send("run")
        return float(self._answer("run")["seconds"])

    def labels(self, path):
        self._send(f"labels {path}")
        self._answer("labels")
        return path

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        stop(self.proc)


class Server:
    """A gRPC server child whose port is read back from its output.

    port_pattern: a regex with one group, matched against each line of
    stdout and stderr (both are also copied to the log)."""

    def __init__(self, name, cmd, log_path, port_pattern, timeout):
        self.name = name
        self.started = time.monotonic()
        self.proc = spawn(cmd, log_path, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
        log = self.proc.log
        found = queue.Queue()
        pattern = re.compile(port_pattern)

        def pump():
            for raw in iter(self.proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                m = pattern.search(raw.decode(errors="replace"))
                if m:
                    found.put(int(m.group(1)))
            found.put(None)
        threading.Thread(target=pump, daemon=True).start()
        try:
            self.port = found.get(timeout=timeout)
        except queue.Empty:
            self.port = None
        if not self.port:
            stop(self.proc, 2)
            raise PeerError(f"{name} did not report its port within "
                            f"{timeout:.0f} s:\n{log_tail(log_path)}")
        self.target = f"127.0.0.1:{self.port}"

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        stop(self.proc)
