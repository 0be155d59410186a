"""The paper's claim in miniature, end to end on a CPU: a tiny Video-LLM, TimeWarp pairs from the train
split of a synthetic temporal benchmark, TimeWarp DPO, and ``timewarp eval`` on the test split, for every
arm (base, TimeWarp-explicit, TimeWarp-warped, the appearance-only and order-blind controls) and several
seeds. Prints the table of mean ± std per arm and question type and writes it, with a plot, to --output.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python scripts/reproduce_miniature.py            # ~11 min on 2 cores
    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python scripts/reproduce_miniature.py --quick    # the CI run, ~3 min

What each step does and why: :mod:`timewarp_hf.miniature`. Exit status 0 when the ranking the method
predicts holds, 1 when it does not (the table says which comparison failed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # before tqdm is imported here or in the worker processes

import datasets  # noqa: E402

from timewarp_hf.miniature import MiniatureConfig, format_table, run_miniature  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("outputs/miniature"), help="output folder")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the CI variant: 3 seeds, half the DPO steps, only the arms the ranking compares",
    )
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds (default: 0-4, or 0-2 with --quick)")
    parser.add_argument("--workers", type=int, help="parallel processes, one torch thread each (default 2)")
    args = parser.parse_args(argv)
    datasets.disable_progress_bars()  # the run logs one line per finished seed and arm instead
    config = MiniatureConfig.quick(args.output) if args.quick else MiniatureConfig(output_dir=args.output)
    overrides = {"seeds": tuple(args.seeds) if args.seeds else None, "workers": args.workers}
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    summary = run_miniature(config, log=lambda line: print(line, flush=True))
    print()
    print(format_table(summary))
    print(f"\n{summary['seconds']:.0f} s; results.md, results.json and results.png in {config.output_dir}")
    print(
        "RESULT "
        + json.dumps({"ranking_holds": not summary["ranking"], "seconds": round(summary["seconds"])})
    )
    return 0 if not summary["ranking"] else 1


if __name__ == "__main__":
    sys.exit(main())
