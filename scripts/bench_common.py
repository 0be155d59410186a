"""What the speed benchmarks (``scripts/bench_*.py``) share: result lines, tables, clips, child processes.

Every one measures its baseline in the same run and prints each ratio as a result line,
``RESULT {"bench": ..., "measure": ..., "value": ..., "target": ...}`` (:func:`result`), which
``scripts/bench_all.py`` collects with :func:`read_results`; tables are markdown (:func:`markdown_table`), so
what a run prints pastes into the README as it is. A benchmark that measures in a fresh process (own peak RSS)
starts it with :func:`run_child`, which reads the child's answer from its last stdout line: that line is a
hand-over between two processes of one benchmark, not a result. The scripts import this file as a sibling
module (``python scripts/bench_x.py`` puts ``scripts/`` on ``sys.path``); nothing in the package needs it.
The experiments on the miniature reproduction (``scripts/miniature_*.py``) print their tables with it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

RESULT_TAG = "RESULT "
RESULT_KEYS = ("bench", "measure", "value", "target")
_NUMBER = re.compile(r"[-+]?\d")


# ------------------------------------------------------------------------------------------ result lines


def result(bench: str, measure: str, value: str, target: str = "report") -> None:
    """Print one result line: ``bench`` is the script's short name (``warps`` for bench_warps.py),
    ``target`` the target with its verdict (:func:`verdict`) or ``"report"`` where there is none."""
    line = json.dumps(dict(zip(RESULT_KEYS, (bench, measure, value, target), strict=True)))
    print(RESULT_TAG + line, flush=True)


def read_results(stdout: str) -> list[dict[str, str]]:
    """The result lines in a speed benchmark's output, as dicts with :data:`RESULT_KEYS`."""
    return [
        json.loads(line[len(RESULT_TAG) :]) for line in stdout.splitlines() if line.startswith(RESULT_TAG)
    ]


def verdict(value: float, target: float, *, higher_is_better: bool, unit: str = "") -> str:
    """``">= 3x: met"`` or ``"<= 1.2: not met"``: the target and whether ``value`` meets it."""
    met = value >= target if higher_is_better else value <= target
    return f"{'>=' if higher_is_better else '<='} {target:g}{unit}: {'met' if met else 'not met'}"


# ------------------------------------------------------------------------------------------ tables


def markdown_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table, columns padded to their widest cell so that it also reads in a terminal; a column
    (but the first) whose cells all start with a number is right-aligned (``---:``)."""
    cells = [[str(c).replace("|", r"\|") for c in row] for row in [headers, *rows]]
    widths = [max(3, *(len(row[k]) for row in cells)) for k in range(len(headers))]
    right = [
        k > 0 and all(_NUMBER.match(row[k]) or row[k] in ("", "-") for row in cells[1:]) and len(cells) > 1
        for k in range(len(headers))
    ]

    def line(row: list[str]) -> str:
        padded = (c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w - 1) + ":" if r else "-" * w for w, r in zip(widths, right, strict=True)]
    return "\n".join([line(cells[0]), line(rule), *(line(row) for row in cells[1:])])


def mib(kib: float, digits: int = 0) -> str:
    """KiB (as ``ru_maxrss`` and ``/proc`` give them) in MiB."""
    return f"{kib / 1024:.{digits}f}"


def machine() -> str:
    """The machine a run measured, for the line above its table."""
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, python "
        f"{platform.python_version()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )


# ------------------------------------------------------------------------------------------ clips


def clip_colour(i: int) -> tuple[int, int, int]:
    """A square colour unique to clip ``i`` up to 512 clips."""
    return (40 + 25 * (i % 8), 40 + 25 * ((i // 8) % 8), 40 + 25 * ((i // 64) % 8))


def make_clips(
    directory: Path,
    count: int,
    *,
    num_frames: int,
    width: int,
    height: int,
    fps: float = 8,
    scenes: Sequence[int] | Callable[[int], Sequence[int]] | None = None,
    gop: int | None = None,
) -> list[Path]:
    """``count`` synthetic clips (:func:`timewarp_hf.testing.make_synthetic_video`) with distinct content,
    ``clip_0000_right.mp4``, ...: each square colour is unique up to 512 clips and the direction shifts with
    every further 512, so no two clips below 2048 share a generation (a build's response cache cannot
    serve one clip's answers for another). ``scenes``: the scene lengths of every clip, or a function of
    the clip number giving them; ``gop``: the keyframe interval."""
    from timewarp_hf.testing import DIRECTIONS, make_synthetic_video

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        direction = DIRECTIONS[(i + i // 512) % len(DIRECTIONS)]
        lengths = scenes(i) if callable(scenes) else scenes
        paths.append(
            make_synthetic_video(
                directory / f"clip_{i:04d}_{direction}.mp4",
                num_frames=num_frames,
                fps=fps,
                width=width,
                height=height,
                direction=direction,
                scenes=list(lengths) if lengths is not None else None,
                square_color=clip_colour(i),
                gop=gop,
            )
        )
    return paths


# ------------------------------------------------------------------------------------------ processes


def run_child(command: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one measuring process of a benchmark and return the JSON object on its last stdout line; a failure
    raises with the tails of its output."""
    done = subprocess.run(list(command), capture_output=True, text=True, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise RuntimeError(
            f"{' '.join(command[1:4])} ... failed (rc {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1])


@contextlib.contextmanager
def scratch(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary working folder for one run, removed at the end unless ``keep`` (then its path is
    printed, to look at the clips and outputs)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def python_command(script: str, *args: Any) -> list[str]:
    """``python script args...`` with this interpreter, the arguments as strings."""
    return [sys.executable, os.path.abspath(script), *map(str, args)]
