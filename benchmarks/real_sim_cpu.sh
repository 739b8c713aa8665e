#!/bin/bash
# Issue 11's real-sim suite at the cpu budget: the default beside the same as if the noise were
# independent, the same with the pixel shuffle (stride 2), noise2self-D, NLM and BM3D with a
# blind sigma, on
# the kinds of camera of noise2info.data.camera.TEST_BED (each trained on its own noisy
# images). Run from the repository root with the package installed; about an hour on 2 cores.
# Each finished method is kept in $OUT/partial.json: running this again resumes.
set -euo pipefail
OUT=${OUT:-benchmarks/results/real-sim-cpu}
RESUME=()
[ -f "$OUT/partial.json" ] || [ -f "$OUT/results.json" ] && RESUME=(--resume)
exec noise2info bench real-sim --budget cpu --out "$OUT" "${RESUME[@]}" \
  --method "noise2info (default)" --method "noise2info (default, as if independent)" \
  --method "noise2info (default, pixel shuffle)" \
  --method "noise2self-D" --method "NLM" --method "BM3D (estimated sigma)" --json
