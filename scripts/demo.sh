#!/usr/bin/env bash
# The main job on an embedded default: no external data or weights needed.
# Called by `./facet demo [--quick]` with the build folder as $1.
#
# Today: publish a network into a model repository, then parse faces with it
# and write the label maps, colour renderings, overlays and restored faces.
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
SHARED="${FACET_SHARED_DIR:-$ROOT/../shared}"
say() { printf '\n== %s\n' "$*"; }

rm -rf "$OUT"
mkdir -p "$OUT/faces"

say "1. Publishing a freshly initialised network (preset 'small') into $OUT/repo"
VERSION_DIR=$("$TRAINER" init-weights --to "$OUT/repo/facet" --preset small --seed 1)
echo "published $VERSION_DIR"
cat "$VERSION_DIR/manifest.json"

say "2. Faces to parse"
FACES=()
if "$TRAINER" synth-faces --help >/dev/null 2>&1; then
  "$TRAINER" synth-faces --count 2 --seed 7 --out "$OUT/faces"
fi
for f in "$OUT"/faces/*.png; do [ -e "$f" ] && FACES+=("$f"); done
if [ -f "$SHARED/fixtures/astronaut.png" ]; then FACES+=("$SHARED/fixtures/astronaut.png"); fi
if [ ${#FACES[@]} -eq 0 ]; then
  echo "no faces available (no synthetic generator and no shared fixtures)"; exit 1
fi
printf '  %s\n' "${FACES[@]}"

say "3. Parsing them with the published version"
"$TRAINER" predict --weights "$VERSION_DIR" --out "$OUT/parsed" "${FACES[@]}"

say "Done. Outputs:"
echo "  model repository:  $OUT/repo/facet/"
echo "  parsed faces:      $OUT/parsed/ (*.labels.png ids, *.color.png, *.overlay.png, *.restored.png)"
echo "  (weights are untrained until the trainer lands; the maps show the pipeline, not quality)"
[ $QUICK -eq 1 ] && exit 0
exit 0
