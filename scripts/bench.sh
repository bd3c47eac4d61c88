#!/usr/bin/env bash
# Runs every benchmark executable (build/bench/facet-bench-*) in turn.
# Called by `./facet bench` with the build folder as $1; extra arguments
# are passed to each benchmark.
set -euo pipefail
BUILD="$1"; shift
found=0
for b in "$BUILD"/bench/facet-bench-*; do
  [ -x "$b" ] || continue
  found=1
  printf '\n== %s\n' "$(basename "$b")"
  "$b" "$@"
done
[ $found -eq 1 ] || { echo "no benchmarks built under $BUILD/bench" >&2; exit 1; }
