#!/usr/bin/env bash
# One command for a newcomer: install what is missing, then run the main job on embedded defaults
# (synthetic sample videos, tiny local models), writing everything to outputs/ (or $TIMEWARP_OUTPUT):
# videos -> warps -> preference pairs (all three recipes) -> TimeWarp DPO -> base vs tuned eval -> Hub folders.
# After `pip install timewarp-hf` the same job is `timewarp quickstart [DIR]`, from any folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
cd "$TIMEWARP_ROOT"
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
"$(dirname "$PY")/timewarp" quickstart "${TIMEWARP_OUTPUT:-outputs}" "$@"
