#!/usr/bin/env bash
# The package as a pip user gets it: build the sdist and, from it, the wheel (python -m build), then
# install the wheel (not editable) with the [demo] extra into an environment of its own, which holds no
# checkout. tests/test_installed.py runs it from a folder outside the checkout.
# Sourced by test.sh after setup_env.sh; exports TIMEWARP_SDIST, TIMEWARP_WHEEL, TIMEWARP_INSTALLED_PYTHON.
set -euo pipefail
WHEEL_VENV="${TIMEWARP_WHEEL_VENV:-$TIMEWARP_ROOT/.venv-wheel}"
DIST="$WHEEL_VENV-dist"
rm -rf "$DIST"
if ! "$PY" -m build --no-isolation --outdir "$DIST" "$TIMEWARP_ROOT" >"$VENV/build.log" 2>&1; then
  tail -n 30 "$VENV/build.log" >&2
  echo "timewarp-hf: building the sdist and wheel failed; full log in $VENV/build.log" >&2
  exit 1
fi
TIMEWARP_SDIST="$(ls "$DIST"/timewarp_hf-*.tar.gz)"
TIMEWARP_WHEEL="$(ls "$DIST"/timewarp_hf-*.whl)"
[ -x "$WHEEL_VENV/bin/python" ] || { echo ">> creating $WHEEL_VENV (the installed-package check)"; python3 -m venv "$WHEEL_VENV"; }
log="$WHEEL_VENV/pip-install.log"
stamp="$(cat "$TIMEWARP_ROOT/pyproject.toml" "$TIMEWARP_ROOT/scripts/constraints.txt" | sha256sum | cut -c1-16)"
if [ "$(cat "$WHEEL_VENV/.timewarp-deps" 2>/dev/null)" != "$stamp" ]; then
  echo ">> pip install the wheel's dependencies into $WHEEL_VENV (first run takes a few minutes)"
  if ! "$WHEEL_VENV/bin/python" -m pip install -c "$TIMEWARP_ROOT/scripts/constraints.txt" "$TIMEWARP_WHEEL[demo]" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "timewarp-hf: installing the wheel failed; full log in $log" >&2
    exit 1
  fi
  echo "$stamp" >"$WHEEL_VENV/.timewarp-deps"
fi
# This build's wheel, every time (its dependencies are already there).
"$WHEEL_VENV/bin/python" -m pip install -q --no-deps --force-reinstall "$TIMEWARP_WHEEL" >>"$log" 2>&1
TIMEWARP_INSTALLED_PYTHON="$WHEEL_VENV/bin/python"
export TIMEWARP_SDIST TIMEWARP_WHEEL TIMEWARP_INSTALLED_PYTHON
