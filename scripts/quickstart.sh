#!/usr/bin/env bash
# One command for a newcomer: install what is missing, then run the main job on embedded defaults
# (synthetic sample videos, tiny local models), writing everything to outputs/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
cd "$TIMEWARP_ROOT"
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
OUT="${TIMEWARP_OUTPUT:-outputs}"
mkdir -p "$OUT"
TW="$(dirname "$PY")/timewarp"

echo ">> 1. sample videos -> $OUT/samples"
"$TW" samples "$OUT/samples" --count 4 >/dev/null
echo ">> 2. decode once, apply every warp -> $OUT/*_warps.png, $OUT/warps_summary.json"
"$TW" preview "$OUT/samples" --output "$OUT"
echo ">> done: see $OUT/"
