#!/bin/bash
# Issue 10's hanzi-gauss rerun (Table 4) at the cpu budget (batch 16): the methods its
# Done-means names plus the fine-tuned rows of the default and its peers (equal starting points).
# Run from the repository root with the package installed; about 40 minutes on 2 cores.
# Each finished method is kept in $OUT/partial.json, so running this again after an
# interruption goes on with the rest (bench --resume); on a finished run it adds methods.
set -euo pipefail
OUT=${OUT:-benchmarks/results/hanzi-gauss-cpu-b16}  # OUT=DIR: elsewhere (benchmarks/drop_rows.py)
RESUME=()
[ -f "$OUT/partial.json" ] || [ -f "$OUT/results.json" ] && RESUME=(--resume)
exec noise2info bench hanzi-gauss --budget cpu --out "$OUT" --font ../shared/fonts/wqy-microhei.ttc "${RESUME[@]}" \
  --method "noise2info (default)" --method "noise2info (default, fine-tuned)" --method "noise2info-D" \
  --method "noise2self-D" --method "noise2self-D (fine-tuned)" --method "noise2same-D (oracle sigma_n)" \
  --method "supervised" --method "supervised (fine-tuned)" --method "NLM" \
  --method "BM3D (estimated sigma)" --json
