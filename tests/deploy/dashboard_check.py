#!/usr/bin/python3
"""Checks the Grafana dashboard (deploy/grafana/dashboards/facet.json).

- Importable: `__inputs` declares the Prometheus datasource DS_PROMETHEUS and
  every panel, query and annotation uses `${DS_PROMETHEUS}`; panel ids are
  unique; every panel has a grid position and at least one query.
- Complete: the panels docs/deploy.md and issue 12 name are all there.
- Valid PromQL: every panel and annotation query, with Grafana's variables
  made concrete, becomes a recording rule in a generated rules file that
  `promtool check rules` must accept (a typo fails).

Usage: dashboard_check.py DASHBOARD.json [--rules-out FILE]
Exit status 1 on any problem.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promql_names import concrete  # noqa: E402

DS = "${DS_PROMETHEUS}"
# (title, panel type) the dashboard must have.
REQUIRED = [
    ("Request rate by method and code", "timeseries"),
    ("Error ratio", "timeseries"),
    ("Latency p50 / p95 / p99", "timeseries"),
    ("Latency by phase (p95)", "timeseries"),
    ("Queue depth", "timeseries"),
    ("Batch size", "heatmap"),
    ("Requests in flight", "timeseries"),
    ("Effective batch size", "timeseries"),
    ("Model version", "timeseries"),
    ("Reload events", "timeseries"),
    ("Process memory", "timeseries"),
    ("Process CPU", "timeseries"),
    ("GPU memory", "timeseries"),
    ("Training loss", "timeseries"),
    ("Training images/s", "timeseries"),
    ("Validation mIoU", "timeseries"),
]


def panels_of(dashboard):
    """Every panel, rows' nested panels included."""
    out = []
    for p in dashboard.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def queries(dashboard):
    """(name, expr) of every panel target and annotation query."""
    found = []
    for p in panels_of(dashboard):
        for t in p.get("targets", []):
            found.append((f"panel {p.get('id')} '{p.get('title')}' {t.get('refId')}",
                          t.get("expr", "")))
    for a in dashboard.get("annotations", {}).get("list", []):
        if a.get("expr"):
            found.append((f"annotation '{a.get('name')}'", a["expr"]))
    return found


def structure_problems(d):
    problems = []
    inputs = {i.get("name"): i for i in d.get("__inputs", [])}
    ds = inputs.get("DS_PROMETHEUS")
    if not ds or ds.get("type") != "datasource" or ds.get("pluginId") != "prometheus":
        problems.append("__inputs must declare DS_PROMETHEUS, a prometheus datasource")
    if d.get("id") is not None:
        problems.append("id must be null in an importable dashboard")
    if not d.get("uid") or not d.get("title"):
        problems.append("the dashboard needs a uid and a title")
    ids = set()
    for p in panels_of(d):
        name = f"panel {p.get('id')} '{p.get('title')}'"
        if p.get("id") in ids:
            problems.append(f"{name}: duplicate id")
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(k in g for k in ("h", "w", "x", "y")) or g["x"] + g["w"] > 24:
            problems.append(f"{name}: bad gridPos {g}")
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != DS:
            problems.append(f"{name}: datasource must be {DS}")
        targets = p.get("targets", [])
        if not targets:
            problems.append(f"{name}: no query")
        for t in targets:
            if t.get("datasource", {}).get("uid") != DS:
                problems.append(f"{name} {t.get('refId')}: datasource must be {DS}")
            if not t.get("expr", "").strip():
                problems.append(f"{name} {t.get('refId')}: empty expr")
    for a in d.get("annotations", {}).get("list", []):
        if a.get("expr") and a.get("datasource", {}).get("uid") != DS:
            problems.append(f"annotation '{a.get('name')}': datasource must be {DS}")
    have = {(p.get("title"), p.get("type")) for p in panels_of(d)}
    for title, kind in REQUIRED:
        if (title, kind) not in have:
            problems.append(f"missing {kind} panel '{title}'")
    return problems


def recording_rules(d):
    """A rules file with one recording rule per query (YAML is a JSON superset)."""
    rules = [{"record": f"dashboard:query_{i}", "expr": concrete(expr),
              "labels": {"source": name}}
             for i, (name, expr) in enumerate(queries(d))]
    return json.dumps({"groups": [{"name": "facet-dashboard", "rules": rules}]},
                      indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dashboard")
    parser.add_argument("--rules-out", help="also keep the generated rules here")
    args = parser.parse_args()
    try:
        with open(args.dashboard, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL: {args.dashboard}: {e}")
        return 1
    problems = structure_problems(d)
    text = recording_rules(d)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.rules_out or os.path.join(tmp, "dashboard_rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = subprocess.run(["promtool", "check", "rules", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            problems.append("promtool rejects a query:\n" + r.stdout + r.stderr)
    for p in problems:
        print(f"FAIL: {args.dashboard}: {p}")
    print(f"{len(panels_of(d))} panels, {len(queries(d))} queries as recording "
          f"rules; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
