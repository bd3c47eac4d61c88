#!/usr/bin/env bash
# Facet on a GPU in one step, on a machine that has a CUDA PyTorch and
# nothing else (no Debian -dev packages, no network), in under five minutes:
#  1. compile only: core/model and facet-bench-gpu against the LibTorch inside
#     that PyTorch (-DFACET_MODEL_ONLY=ON); stops with the compiler's message;
#  2. facet-bench-gpu: published configuration, random weights and inputs it
#     makes itself, batch 1/8/32/64, fp32/fp16/bf16, with and without CUDA
#     graphs, printing each row as it goes;
#  3. bench/gpu/torch_peer.py: PyTorch eager fp32, eager bf16 channels-last and
#     torch.compile bf16 on the same weights and inputs;
#  4. a Markdown table (faces/s, p50 latency, argmax agreement, target ratios)
#     in OUT/gpu-results.md, also printed.
#
#   bench/gpu.sh [--device cuda|cuda:N|cpu] [--smoke] [--out DIR] [--no-compile]
#
# --device cpu --smoke runs the same steps on a tiny network on the CPU (the
# test suite does this, with Debian's LibTorch). PYTHON picks the
# interpreter (default: python3, else /usr/bin/python3, whichever has torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEVICE=cuda; SMOKE=0; OUT=""; PEER_FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="$2"; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --out) OUT="$2"; shift 2 ;;
    --no-compile) PEER_FLAGS+=(--no-compile); shift ;;
    *) echo "bench/gpu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$ROOT/build-gpu/results}"
BUILD="${FACET_GPU_BUILD_DIR:-$(dirname "$OUT")/build}"
log() { printf '[gpu.sh %s] %s\n' "$(date +%T)" "$*" >&2; }

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import torch' 2>/dev/null; then PY="$candidate"; break; fi
  done
fi
[ -n "$PY" ] || { echo "bench/gpu.sh: no Python with torch found (set PYTHON)" >&2; exit 1; }
PREFIX="$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
log "torch $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)') from $PY"

# 1. Compile only.
mkdir -p "$BUILD" "$OUT"
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
log "configuring core/model + facet-bench-gpu in $BUILD"
if ! cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DFACET_MODEL_ONLY=ON \
     -DFACET_BUILD_TESTS=OFF -DCMAKE_PREFIX_PATH="$PREFIX" > "$BUILD/configure.log" 2>&1; then
  cat "$BUILD/configure.log" >&2; echo "bench/gpu.sh: configure failed (above)" >&2; exit 1
fi
log "compiling"
if ! cmake --build "$BUILD" -j "$(nproc)" --target facet-bench-gpu > "$BUILD/build.log" 2>&1; then
  grep -E -A6 'error|Error' "$BUILD/build.log" | head -80 >&2
  echo "bench/gpu.sh: compile failed; full log: $BUILD/build.log" >&2; exit 1
fi
log "compiled"

# 2. and 3. Facet, then the PyTorch peers, on the same weights and inputs.
ROWS="$OUT/rows.jsonl"; : > "$ROWS"
if [ $SMOKE -eq 1 ]; then
  ARGS=(--config tiny --batches 1,2 --smoke)
  PEER=(--batches 1,2 --smoke)
else
  ARGS=(--config published --batches 1,8,32,64 --seconds 1.5)
  PEER=(--batches 1,8,32,64 --seconds 1.5)
fi
log "Facet rows"
"$BUILD/bench/gpu/facet-bench-gpu" --out "$OUT" --device "$DEVICE" "${ARGS[@]}" | tee -a "$ROWS"
log "PyTorch rows"
PEER_DEVICE="$DEVICE"
"$PY" "$ROOT/bench/gpu/torch_peer.py" --out "$OUT" --device "$PEER_DEVICE" "${PEER[@]}" \
  "${PEER_FLAGS[@]}" | tee -a "$ROWS"

# 4. The table.
MACHINE="$("$PY" -c 'import torch, platform
d = torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "CPU"
print("Machine: %s; torch %s (CUDA %s)" % (d, torch.__version__, torch.version.cuda))')"
"$PY" "$ROOT/bench/gpu/report.py" "$ROWS" "$MACHINE" > "$OUT/gpu-results.md"
cat "$OUT/gpu-results.md"
# A failed row (not a refused one) fails the script.
if grep -q '"impl": *"facet"[^}]*"batch"' "$ROWS"; then
  log "done: $OUT/gpu-results.md"
else
  echo "bench/gpu.sh: Facet produced no rows" >&2; exit 1
fi
