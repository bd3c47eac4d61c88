#!/usr/bin/env bash
# Makes the fixture of the precision-agreement tests: a tiny network trained
# for a few hundred CPU steps on synthetic faces (random weights have logit
# margins too thin to say anything about reduced precision) and held-out
# degraded faces (indices far past the training stream, their own seed).
#   make_agreement_fixture.sh FACET_TRAINER OUT_DIR
set -euo pipefail
TRAINER="$1"; OUT="$2"
if [ -f "$OUT/.complete" ]; then exit 0; fi
rm -rf "$OUT"; mkdir -p "$OUT"
"$TRAINER" train --to "$OUT/repo/facet" --preset=64,64,16,16,19,2,16,32 \
  --steps=400 --batch_size=4 --lr=1.5e-3 --seed=1 --val_every=0 \
  --publish_every=0 --val_batches=4 --threads=0 > "$OUT/train.log" 2>&1
"$TRAINER" synth-faces --out "$OUT/faces" --faces 8 --first_index 900000 \
  --seed 4242 > /dev/null 2>&1
for face in "$OUT"/faces/synthetic_*[0-9].png; do
  "$TRAINER" degrade --seed 77 --count 2 "$face" "$OUT/degraded" > /dev/null 2>&1
done
touch "$OUT/.complete"
