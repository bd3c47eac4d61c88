#!/usr/bin/python3
"""Checks deploy/prometheus/ with promtool, and that the alert unit tests
cover every alert both firing and not firing.

  promtool check config CONFIG      (also checks the rule files it names)
  promtool check rules RULES
  promtool test rules TESTS
  coverage: each alert of RULES has an alert_rule_test in TESTS expecting it
            to fire (non-empty exp_alerts) and one expecting silence

Usage: prometheus_rules_check.py --config F [--config F] --rules F --tests F
Exit status 1 on any problem.
"""
import argparse
import subprocess
import sys

import yaml


def promtool(*args):
    r = subprocess.run(["promtool", *args], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def coverage(rules_path, tests_path):
    with open(rules_path, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    with open(tests_path, encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    alerts = [r["alert"] for g in rules.get("groups", []) for r in g.get("rules", [])
              if "alert" in r]
    fires, silent = set(), set()
    for t in tests.get("tests", []):
        for a in t.get("alert_rule_test", []):
            (fires if a.get("exp_alerts") else silent).add(a.get("alertname"))
    problems = []
    for name in alerts:
        if name not in fires:
            problems.append(f"{tests_path}: no test where {name} fires")
        if name not in silent:
            problems.append(f"{tests_path}: no test where {name} stays silent")
    return alerts, problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True, action="append")
    parser.add_argument("--rules", required=True)
    parser.add_argument("--tests", required=True)
    args = parser.parse_args()
    problems = []
    for what in ([("check", "config", c) for c in args.config] +
                 [("check", "rules", args.rules), ("test", "rules", args.tests)]):
        rc, out = promtool(*what)
        print(f"$ promtool {' '.join(what)}\n{out}")
        if rc != 0:
            problems.append(f"promtool {' '.join(what)} failed (exit {rc})")
    alerts, missing = coverage(args.rules, args.tests)
    problems += missing
    for p in problems:
        print(f"FAIL: {p}")
    print(f"{len(alerts)} alerts; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
