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
echo ">> 3. preference pairs with a tiny local Video-LLM (random weights: the text is gibberish; the pipeline is real)"
[ -d "$OUT/models/tiny-qwen2vl" ] || "$TW" tiny-model "$OUT/models/tiny-qwen2vl" --family qwen2_vl >/dev/null
for recipe in warped implicit; do
  "$TW" build --base "$OUT/samples" --recipe "$recipe" --captioner "$OUT/models/tiny-qwen2vl" \
    --max-new-tokens 24 --max-similarity 1.0 --output "$OUT/pairs-$recipe" \
    --response-cache "$OUT/responses.sqlite" --llava-hound "$OUT/pairs-$recipe/llava_hound.json"
done
echo ">> done: see $OUT/"
