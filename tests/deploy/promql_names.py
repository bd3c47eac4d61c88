"""Metric names in PromQL expressions, and Grafana variables made concrete.

Shared by dashboard_check.py and live_metrics_test.py. Facet's metrics all
start with `facet_`; recording rules (`facet:...`) and label values are not
metric names.
"""
import re

# Grafana's interval variables, and any dashboard variable (used in regex
# matchers, e.g. instance=~"$instance"), as promtool and Prometheus need them.
GRAFANA_INTERVALS = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}


def concrete(expr, intervals=None):
    values = dict(GRAFANA_INTERVALS, **(intervals or {}))
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ".*"), expr)


def metric_names(expr):
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    return set(re.findall(r"(?<![\w:])facet_[A-Za-z0-9_]*[A-Za-z0-9](?![\w:])",
                          without_strings))


def read_allowlist(path):
    """{name: (kind, why)} from deploy/metrics-allowlist.txt."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[1] not in ("gpu-only", "pending"):
                raise ValueError(f"{path}:{n}: expected NAME gpu-only|pending WHY")
            allowed[parts[0]] = (parts[1], parts[2])
    return allowed
