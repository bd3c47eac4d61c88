#!/usr/bin/env bash
# Facet against what a user would otherwise run (issue 10): forward against
# PyTorch eager and ONNX Runtime, facet-server against a Python gRPC service,
# training step against Debian's torch. Writes bench/RESULTS.md and
# bench/results.csv (see bench/run_benchmarks.py --help for every option).
#
#   ./facet bench            full run (~15 min on 2 cores)
#   ./facet bench --quick    shorter windows and fewer runs (~8 min)
#   ./facet bench --smoke    one iteration of everything (what the tests run)
#   ./facet bench --sections forward --pairs 9   one path, more runs
#
# Called by `./facet bench` with the build folder as $1. The single
# benchmarks (build/bench/facet-bench-*) also run on their own.
set -euo pipefail
BUILD="$1"; shift
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec /usr/bin/python3 "$ROOT/bench/run_benchmarks.py" --build "$BUILD" "$@"
