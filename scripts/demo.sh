#!/usr/bin/env bash
# The main job on an embedded default: no external data or weights needed.
# Called by `./facet demo [--quick]` with the build folder as $1.
#
#   1. facet-trainer trains a network on built-in synthetic faces and
#      publishes version 1 into a model repository;
#   2. facet-server loads it; facet-client parses held-out faces through it;
#   3. the trainer goes on and publishes version 2 while clients keep
#      sending requests; the server switches with no failed request;
#   4. it scores version 2 on the real Solvay 1927 faces (landmark parts);
#   5. it prints what happened and where the outputs are, then keeps serving
#      until Ctrl-C on a terminal (finishes by itself otherwise, or with
#      --quick or CI=true).
set -euo pipefail
BUILD="$1"; shift
QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    *) echo "demo: unknown argument '$arg' (expected --quick)" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${FACET_DEMO_OUT:-$ROOT/demo-out}"
TRAINER="$BUILD/trainer/facet-trainer"
SERVER="$BUILD/server/facet-server"
CLIENT="$BUILD/client/facet-client"
SHARED="${FACET_SHARED_DIR:-$ROOT/../shared}"
if [ $QUICK -eq 1 ]; then
  PRESET=tiny; STEPS1=40; STEPS2=60; BATCH=4
else
  # 64 px, base 16, channels 16..32: learns visibly within minutes on a CPU.
  PRESET=64,64,16,16,19,2,16,32; STEPS1=500; STEPS2=1800; BATCH=4
fi
say() { printf '\n== %s\n' "$*"; }
SERVER_PID=""; LOAD_PID=""
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"
# --part_loss_weight 6: the small parts weigh more in the loss, which lifts
# the real-face score of a model that has seen only synthetic faces
# (docs/fidelity.md); the paper's recipe (1) stays the trainer's default.
# One cosine schedule over both stages (--lr_schedule_steps): version 2 is
# the model a single run of $STEPS2 steps gives.
TRAIN_FLAGS=(--to "$OUT/repo/facet" --preset "$PRESET" --batch_size "$BATCH" --lr 1.5e-3
             --part_loss_weight 6 --lr_schedule cosine --lr_schedule_steps "$STEPS2"
             --val_batches 4 --val_every 0 --keep_versions 0 --seed 1 --log_every 50)

say "1. Training a '$PRESET' network on synthetic faces for $STEPS1 steps (version 1)"
"$TRAINER" train "${TRAIN_FLAGS[@]}" --steps "$STEPS1" --publish_every "$STEPS1" \
  2>&1 | tee "$OUT/train-1.log" | grep -E "^(validation|published|step=|error|warning)" || true
grep -q "published version=1" "$OUT/train-1.log" || { echo "training did not publish"; exit 1; }

say "2. Starting facet-server on the repository"
setsid "$SERVER" --model_repository "$OUT/repo" --model_name facet --port 0 --metrics_port 0 \
  --rescan_interval_ms 500 > "$OUT/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 300); do
  PORT=$(grep -o 'event=ready grpc_port=[0-9]*' "$OUT/server.log" | head -1 | cut -d= -f3 || true)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log"; exit 1; }
  sleep 0.2
done
[ -n "$PORT" ] || { echo "server did not become ready"; cat "$OUT/server.log"; exit 1; }
METRICS_PORT=$(grep -o 'metrics_port=[0-9]*' "$OUT/server.log" | head -1 | cut -d= -f2)
TARGET="127.0.0.1:$PORT"
"$CLIENT" health --target "$TARGET" --wait_s 60
"$CLIENT" info --target "$TARGET" | head -6

say "3. Parsing held-out faces through the server (version 1)"
"$TRAINER" synth-faces --out "$OUT/faces" --faces 4 --seed 999 > /dev/null
FACES=("$OUT"/faces/synthetic_0000?.png)
[ -f "$SHARED/fixtures/astronaut.png" ] && FACES+=("$SHARED/fixtures/astronaut.png")
"$CLIENT" parse --target "$TARGET" --restored --out "$OUT/parsed-v1" "${FACES[@]}"

say "4. Training on to step $STEPS2 and publishing version 2 while clients keep parsing"
( failures=0; requests=0
  while [ ! -f "$OUT/.load-stop" ]; do
    if "$CLIENT" parse --target "$TARGET" --out "$OUT/.load" "${FACES[0]}" > /dev/null 2>&1; then :; else failures=$((failures+1)); fi
    requests=$((requests+1))
  done
  echo "$requests $failures" > "$OUT/.load-result" ) &
LOAD_PID=$!
"$TRAINER" train "${TRAIN_FLAGS[@]}" --steps "$STEPS2" --publish_every "$STEPS2" --resume \
  2>&1 | tee "$OUT/train-2.log" | grep -E "^(validation|published|error|warning)" || true
SWITCHED=0
for _ in $(seq 1 120); do
  if "$CLIENT" info --target "$TARGET" --json 2>/dev/null | grep -q '"version": *"\?2'; then SWITCHED=1; break; fi
  sleep 0.5
done
sleep 1
touch "$OUT/.load-stop"; wait "$LOAD_PID" || true; LOAD_PID=""
read -r REQUESTS FAILURES < "$OUT/.load-result"
echo "server now serves version 2: $([ $SWITCHED -eq 1 ] && echo yes || echo NO)"
echo "client requests during the switch: $REQUESTS, failed: $FAILURES"
"$CLIENT" parse --target "$TARGET" --restored --out "$OUT/parsed-v2" "${FACES[@]}"

# The real-face score: the Solvay 1927 faces (no training data) against the
# parts dlib's 68 landmarks outline (docs/fidelity.md).
REAL_SCORE="(no $SHARED/fixtures/solvay_1927.jpg)"
# score_real_faces NAME [evaluate flags]: prints the score, leaves it in SCORE.
score_real_faces() {
  local name=$1; shift
  SCORE=""
  if "$TRAINER" evaluate --weights "$OUT/repo/facet/2" "$@" \
      --data "landmarks:$SHARED/fixtures/solvay_1927.jpg" --sheet "$OUT/$name.png" \
      > "$OUT/$name.txt" 2> "$OUT/$name.log"; then
    cat "$OUT/$name.txt"
    SCORE=$(grep -o 'mean_part_iou=[0-9.]*' "$OUT/$name.txt" | cut -d= -f2)
  else
    cat "$OUT/$name.log"
  fi
}
if [ -f "$SHARED/fixtures/solvay_1927.jpg" ]; then
  say "Scoring version 2 on real faces (Solvay 1927, parts from dlib's landmarks)"
  score_real_faces real-faces-v2
  PLAIN=${SCORE:-"(failed: $OUT/real-faces-v2.log)"}
  echo "and with mirror averaging (--mirror_average: each face and its mirror image, averaged):"
  score_real_faces real-faces-v2-mirror --mirror_average
  MIRROR=${SCORE:-"(failed: $OUT/real-faces-v2-mirror.log)"}
  FACES_SCORED=$(grep -o 'faces=[0-9]*' "$OUT/real-faces-v2.txt" 2>/dev/null | head -1 | cut -d= -f2)
  REAL_SCORE="$PLAIN, $MIRROR with mirror averaging, over ${FACES_SCORED:-?} faces (see $OUT/real-faces-v2*.png)"
fi

MIOU1=$(grep -o ' miou=[0-9.]*' "$OUT/train-1.log" | tail -1 | cut -d= -f2)
MIOU2=$(grep -o ' miou=[0-9.]*' "$OUT/train-2.log" | tail -1 | cut -d= -f2)
say "Done."
echo "  validation mIoU:   version 1 $MIOU1, version 2 $MIOU2 (held-out synthetic faces)"
echo "  real-face score:   mean part IoU $REAL_SCORE"
echo "  model repository:  $OUT/repo/facet/{1,2}"
echo "  held-out faces:    $OUT/faces/ (with their ground truth *.truth_color.png)"
echo "  parsed by v1, v2:  $OUT/parsed-v1/, $OUT/parsed-v2/ (*.labels.png ids, *.color.png,"
echo "                     *.overlay.png, *.restored.png)"
echo "  logs:              $OUT/train-1.log, $OUT/train-2.log, $OUT/server.log"
echo "  metrics:           http://127.0.0.1:$METRICS_PORT/metrics"
[ $SWITCHED -eq 1 ] && [ "$FAILURES" -eq 0 ] || { echo "demo FAILED: switch=$SWITCHED failures=$FAILURES"; exit 1; }

if [ $QUICK -eq 0 ] && [ -t 0 ] && [ "${CI:-}" != "true" ]; then
  say "Serving at $TARGET (metrics on port $METRICS_PORT). Ctrl-C to stop."
  echo "  try: $CLIENT parse --target $TARGET --out /tmp/parsed YOUR_FACE.jpg"
  trap 'echo; echo stopping; cleanup; exit 0' INT
  wait "$SERVER_PID" || true
fi
