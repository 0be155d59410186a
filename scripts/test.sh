#!/usr/bin/env bash
# The test command (what CI runs): install what is missing, then the offline test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k warps`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
cd "$TIMEWARP_ROOT"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
"$PY" -m ruff check timewarp_hf tests scripts
"$PY" -m pytest -q -p no:cacheprovider "$@"
