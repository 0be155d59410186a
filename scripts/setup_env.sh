#!/usr/bin/env bash
# Installs what timewarp-hf needs, and only what is missing, so re-running is fast:
#   * system packages through apt-get (FFmpeg for torchcodec; more via TIMEWARP_APT_PACKAGES),
#   * a virtual environment (.venv, or $TIMEWARP_VENV) holding the package in editable mode with the
#     extras in $TIMEWARP_EXTRAS, resolved against scripts/constraints.txt (the verified stack).
# Sourced by quickstart.sh and test.sh; afterwards $PY is the environment's python.
set -euo pipefail
TIMEWARP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS="${TIMEWARP_EXTRAS:-dev}"
VENV="${TIMEWARP_VENV:-$TIMEWARP_ROOT/.venv}"

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
for pkg in ${TIMEWARP_APT_PACKAGES:-}; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "timewarp-hf: need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 1
  fi
  echo ">> apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo ">> creating $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
stamp="$(cat "$TIMEWARP_ROOT/pyproject.toml" "$TIMEWARP_ROOT/setup.py" "$TIMEWARP_ROOT/scripts/constraints.txt" | sha256sum | cut -c1-16)-$EXTRAS"
if [ "$(cat "$VENV/.timewarp-installed" 2>/dev/null)" != "$stamp" ]; then
  echo ">> pip install -e .[$EXTRAS] (first run takes a few minutes: torch is large)"
  log="$VENV/pip-install.log"
  if ! { "$PY" -m pip install --upgrade pip &&
         "$PY" -m pip install -c "$TIMEWARP_ROOT/scripts/constraints.txt" -e "$TIMEWARP_ROOT[$EXTRAS]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "timewarp-hf: pip install failed; full log in $log" >&2
    exit 1
  fi
  echo "$stamp" >"$VENV/.timewarp-installed"
fi
export PY
