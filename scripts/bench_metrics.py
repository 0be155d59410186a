#!/usr/bin/env python
"""Scoring throughput of ``timewarp_hf.metrics`` against lmms-eval's own scoring, on the same outputs.

For every benchmark it generates N synthetic model outputs in the forms real models produce (bare
letters, "(B)", "The answer is B", option text, the article "A", lowercase, several letters, empty
output, ...; :mod:`timewarp_hf.testing.mcq_outputs`), scores them with ``temporal_mcq`` (``evaluate``'s
``compute``, both modes; ``vinoground`` for Vinoground) and with lmms-eval's own ``process_results`` +
aggregation for that benchmark, and prints predictions scored per second and the ratio, both measured in
this run. It also prints how often the verdict of our ``mode="reference"`` (and of ``mode="corrected"``)
agrees with lmms-eval's.

lmms-eval is not a dependency of timewarp-hf; its scoring functions are loaded by file path from an
unpacked wheel (or an installed copy, found without importing it) by
:class:`timewarp_hf.testing.lmms_eval_reference.LmmsEval`, whose docstring says how lmms-eval runs there::

    python -m pip download --no-deps -d /tmp/lmms lmms-eval
    python -m zipfile -e /tmp/lmms/lmms_eval-*.whl /tmp/lmms/src
    OMP_NUM_THREADS=1 python scripts/bench_metrics.py --lmms-eval-src /tmp/lmms/src
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench_common import markdown_table, result

from timewarp_hf.testing.lmms_eval_reference import (
    TASK_FILES,
    LmmsEval,
    lmms_eval_score,
    lmms_eval_vinoground,
    write_vinoground_answers,
)
from timewarp_hf.testing.mcq_outputs import (
    make_rows,
    make_vinoground_rows,
    temporal_mcq_inputs,
    verdicts_of,
    vinoground_inputs,
)


def best_time(repeat: int, function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Least CPU time of ``repeat`` calls (CPU time, as other processes share this machine) and the result."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        value = function(*args, **kwargs)
        best = min(best, time.process_time() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="predictions per benchmark (default 100000)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per timing; the fastest counts (default 3)"
    )
    parser.add_argument(
        "--lmms-eval-src", help="folder holding the lmms_eval package (default: $LMMS_EVAL_SRC)"
    )
    parser.add_argument("--benchmarks", nargs="*", default=list(TASK_FILES), help="benchmarks to run")
    args = parser.parse_args()

    from timewarp_hf.metrics import load_metric

    root = LmmsEval.locate(args.lmms_eval_src)
    if root is None:
        sys.exit(
            "lmms-eval not found: pass --lmms-eval-src or set LMMS_EVAL_SRC (see this script's docstring)"
        )
    print(
        f"lmms-eval from {root}; {args.n:,} predictions per benchmark (Vinoground: its 2,000 questions); "
        f"predictions per CPU second, best of {args.repeat}; python {sys.version.split()[0]}.\n"
        "scoring = reading answers + aggregation, the scope of lmms-eval's process_results + aggregation; "
        "compute() adds evaluate's Arrow caching of the inputs. ratio = ours / lmms-eval (higher is faster).\n"
    )
    columns = [
        "benchmark", "lmms-eval", "ours reference scoring", "ratio", "ours corrected scoring", "ratio",
        "ours corrected compute()", "ratio", "reference agrees with lmms-eval", "corrected agrees",
    ]  # fmt: skip
    table: list[list[str]] = []
    totals: dict[str, float] = defaultdict(float)
    with LmmsEval(root) as lmms:
        for benchmark in args.benchmarks:
            vino = benchmark == "vinoground"
            # lmms-eval's Vinoground scoring hard-codes its 500 pairs (2,000 questions).
            rows = make_vinoground_rows() if vino else make_rows(benchmark, args.n)
            lmms.task(benchmark)  # load lmms-eval's module outside the timings
            if vino:
                write_vinoground_answers(lmms, rows)
                lmms_time, lmms_result = best_time(args.repeat, lmms_eval_vinoground, lmms, rows)
            else:
                lmms_time, lmms_result = best_time(args.repeat, lmms_eval_score, lmms, benchmark, rows)
            times, results = {"lmms": lmms_time}, {}
            for mode in ("reference", "corrected"):
                if vino:
                    metric = load_metric("vinoground", mode=mode, keep_in_memory=True)
                    inputs = vinoground_inputs(rows)
                else:
                    metric = load_metric("temporal_mcq", benchmark=benchmark, mode=mode, keep_in_memory=True)
                    inputs = temporal_mcq_inputs(rows)
                times[mode], results[mode] = best_time(args.repeat, metric._compute, **inputs)
                if mode == "corrected":
                    times["compute"], _ = best_time(args.repeat, metric.compute, **inputs)
            if vino:
                keys = ("text_score", "video_score", "group_score")
                agree = {
                    mode: "scores equal"
                    if all(map(math.isclose, (results[mode][k] for k in keys), lmms_result))
                    else "scores differ"
                    for mode in results
                }
            else:
                verdicts, lmms_accuracy = lmms_result
                agree = {
                    mode: f"accuracy {'equal' if math.isclose(results[mode]['accuracy'], lmms_accuracy) else 'differs'}"
                    if verdicts is None
                    else f"{sum(a == b for a, b in zip(verdicts_of(results[mode], rows), verdicts, strict=True)) / len(rows):.2%}"
                    for mode in results
                }
            speed = {key: len(rows) / value for key, value in times.items()}
            table.append([benchmark, f"{speed['lmms']:,.0f}"])
            for key in ("reference", "corrected", "compute"):
                table[-1] += [f"{speed[key]:,.0f}", f"{speed[key] / speed['lmms']:.2f}x"]
            table[-1] += [agree["reference"], agree["corrected"]]
            print(f"{benchmark}: scored", file=sys.stderr, flush=True)
            for key, value in times.items():
                totals[key] += value
            totals["n"] += len(rows)
    print(markdown_table(columns, table))
    n = totals["n"]
    print(
        f"\nall {n:,.0f} predictions: lmms-eval {n / totals['lmms']:,.0f}/s; ours reference scoring "
        f"{n / totals['reference']:,.0f}/s ({totals['lmms'] / totals['reference']:.2f}x); ours corrected scoring "
        f"{n / totals['corrected']:,.0f}/s ({totals['lmms'] / totals['corrected']:.2f}x); ours corrected compute() "
        f"{n / totals['compute']:,.0f}/s ({totals['lmms'] / totals['compute']:.2f}x)."
    )
    for key, label in (
        ("reference", "reference scoring"),
        ("corrected", "corrected scoring"),
        ("compute", "corrected compute()"),
    ):
        result("metrics", f"ours {label} vs lmms-eval, predictions/s", f"{totals['lmms'] / totals[key]:.2f}x")


if __name__ == "__main__":
    main()
