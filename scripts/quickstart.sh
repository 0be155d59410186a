#!/usr/bin/env bash
# One command for a newcomer: install what is missing, then run the main job on embedded defaults
# (synthetic sample videos, tiny local models), writing everything to outputs/:
# videos -> warps -> preference pairs (all three recipes) -> TimeWarp DPO -> base vs tuned eval -> Hub cards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
cd "$TIMEWARP_ROOT"
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
OUT="${TIMEWARP_OUTPUT:-outputs}"
mkdir -p "$OUT"
TW="$(dirname "$PY")/timewarp"
MODEL="$OUT/models/tiny-qwen2vl"
started=$SECONDS

echo ">> 1. sample videos (with scene captions) -> $OUT/samples"
"$TW" samples "$OUT/samples" --count 4 >/dev/null

echo ">> 2. decode once, apply every warp -> $OUT/*_warps.png, $OUT/warps_summary.json"
"$TW" preview "$OUT/samples" --output "$OUT"

echo ">> 3. preference pairs, three recipes -> $OUT/pairs-*/"
echo "   (a tiny random Video-LLM stands in for Qwen2.5-VL: its text is gibberish, every step around it is real)"
[ -f "$MODEL/config.json" ] || "$TW" tiny-model "$MODEL" --family qwen2_vl >/dev/null
for recipe in warped implicit; do
  "$TW" build --base "$OUT/samples" --recipe "$recipe" --captioner "$MODEL" --max-new-tokens 24 \
    --max-similarity 1.0 --output "$OUT/pairs-$recipe" --response-cache "$OUT/responses.sqlite" \
    --llava-hound "$OUT/pairs-$recipe/llava_hound.json"
done
# explicit: temporal QA from the scene captions in true vs shuffled order, by the rule-based generator
"$TW" build --base "$OUT/samples" --recipe explicit --generator template --output "$OUT/pairs-explicit" \
  --llava-hound "$OUT/pairs-explicit/llava_hound.json"

echo ">> 4. TimeWarp DPO (LoRA) on the explicit pairs -> $OUT/dpo"
"$TW" train --model_name_or_path "$MODEL" --dataset_name "$OUT/pairs-explicit" --output_dir "$OUT/dpo" \
  --max_steps 6 --per_device_train_batch_size 2 --learning_rate 1e-4 --lora_r 8 --lora_alpha 16 \
  --report_to none --save_strategy no --logging_steps 2 --gradient_checkpointing false

echo ">> 5. base vs tuned on a synthetic temporal benchmark -> $OUT/eval"
"$TW" temporal-benchmark "$OUT/temporal-test" --split test --pairs-per-type 2 >/dev/null
for side in base tuned; do
  adapter=(); [ "$side" = tuned ] && adapter=(--adapter "$OUT/dpo")
  "$TW" eval --model "$MODEL" "${adapter[@]}" --benchmark synthetic_temporal --data "$OUT/temporal-test" \
    --scoring likelihood --output "$OUT/eval/$side" >/dev/null
done
"$TW" eval --compare "$OUT/eval/base" "$OUT/eval/tuned" --output "$OUT/eval/model_index.json"

echo ">> 6. dataset and model cards, exactly as they would be uploaded -> $OUT/hub/"
rm -rf "$OUT/hub"  # a dry run stages into an empty folder: exactly what would go up
"$TW" push dataset "$OUT/pairs-explicit" me/timewarp-pairs --dry-run "$OUT/hub/dataset" >/dev/null
"$TW" push model "$OUT/dpo" me/tiny-qwen2vl-timewarp --dataset me/timewarp-pairs \
  --eval-results "$OUT/eval/model_index.json" --dry-run "$OUT/hub/model" >/dev/null
echo ">> done in $((SECONDS - started)) s: pictures $OUT/*_warps.png, pairs $OUT/pairs-*/, model $OUT/dpo,"
echo "   scores $OUT/eval/, cards $OUT/hub/dataset/README.md and $OUT/hub/model/README.md"
