#!/usr/bin/env bash
# The test command (what CI runs): install what is missing, then the offline test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k warps`.
set -euo pipefail
# The Space is tested in a real headless browser: Debian's chromium and its driver.
export TIMEWARP_APT_PACKAGES="${TIMEWARP_APT_PACKAGES:-chromium chromium-driver}"
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
cd "$TIMEWARP_ROOT"
# lmms-eval's own scoring code (read, not installed: it would pull a large stack) for the agreement tests.
# In CI (CI=true) a missing lmms-eval fails the run: reference mode's agreement must not go untested.
LMMS_EVAL_SRC="$(dirname "$PY")/../lmms-eval-0.7.3"
if [ ! -d "$LMMS_EVAL_SRC/lmms_eval" ]; then
  if ! { "$PY" -m pip download -q --no-deps --only-binary=:all: lmms-eval==0.7.3 -d "$LMMS_EVAL_SRC.whl" >/dev/null 2>&1 &&
    "$PY" -m zipfile -e "$LMMS_EVAL_SRC.whl"/lmms_eval-0.7.3-*.whl "$LMMS_EVAL_SRC"; }; then
    if [ "${CI:-}" = "true" ]; then
      echo "timewarp-hf: could not fetch lmms-eval 0.7.3, and CI=true: its agreement tests must run" >&2
      exit 1
    fi
    echo "timewarp-hf: could not fetch lmms-eval 0.7.3; its agreement tests will be skipped" >&2
  fi
fi
export LMMS_EVAL_SRC
source "$TIMEWARP_ROOT/scripts/install_wheel.sh"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
"$PY" -m ruff check timewarp_hf tests scripts
# Two workers, one per core (torch in each keeps one thread). What they share outside their temp folders
# (the fitted bases, the demo's pair, the quick miniature run) is made once, under file locks.
"$PY" -m pytest -q -p no:cacheprovider -n "${TIMEWARP_TEST_WORKERS:-2}" "$@"
