"""The paper's claim in miniature, end to end on a CPU: a tiny Video-LLM, TimeWarp pairs from the train
split of a synthetic temporal benchmark, TimeWarp DPO, and ``timewarp eval`` on the test split, for every
arm (base, TimeWarp-explicit, TimeWarp-warped, the appearance-only and order-blind controls) and several
seeds. Prints the table of mean ± std per arm and question type and writes it, with a plot, to --output.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python scripts/reproduce_miniature.py            # ~11 min on 2 cores
    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python scripts/reproduce_miniature.py --quick    # the CI run, ~3 min
    python scripts/reproduce_miniature.py --gain --validation --seeds 21 22 --dpo-lr 3e-4  # tune the quickstart

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

from timewarp_hf.miniature import (  # noqa: E402
    ARMS,
    QUICKSTART_PAIR,
    MiniatureConfig,
    _temporal,
    answer_accuracy,
    base_and_timewarp,
    format_gain,
    format_table,
    run_miniature,
    write_readme_table,
)


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
    parser.add_argument("--arms", nargs="+", choices=ARMS, help="arms to run (default: all, or --quick's)")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="score on the validation split (the test split's distribution, another seed): for tuning",
    )
    parser.add_argument("--fit-steps", type=int, help="cross-entropy steps fitting the base")
    parser.add_argument("--fit-extra", choices=("none", "captions", "template_qa"), help="extra fitting data")
    parser.add_argument("--dpo-steps", type=int, help="DPO steps per arm")
    parser.add_argument("--dpo-lr", type=float, help="DPO learning rate")
    parser.add_argument("--beta", type=float, help="DPO beta")
    parser.add_argument("--explicit-questions", type=int, help="template questions per clip (default 9)")
    parser.add_argument("--loss-type", nargs="+", help="TRL DPO loss mix, e.g. sigmoid sft")
    parser.add_argument("--loss-weights", type=float, nargs="+", help="one weight per --loss-type")
    parser.add_argument(
        "--random-batches", action="store_true", help="no pair grouping: random DPO batches (an ablation)"
    )
    parser.add_argument(
        "--base-cache", type=Path, help="keep fitted bases here between runs (default: fit afresh)"
    )
    parser.add_argument(
        "--gain",
        action="store_true",
        help="the quickstart's step instead: per seed, one fitted base and its TimeWarp copy with the "
        "quickstart's settings (QUICKSTART_PAIR) unless a flag overrides one; likelihood accuracy and the "
        "demo's free-text answers. With --validation: how the quickstart's settings are chosen",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        help="also write the table into this markdown file, between the miniature-table markers",
    )
    args = parser.parse_args(argv)
    datasets.disable_progress_bars()  # the run logs one line per finished seed and arm instead
    if args.gain:
        return _gain(args)
    config = MiniatureConfig.quick(args.output) if args.quick else MiniatureConfig(output_dir=args.output)
    overrides = {
        "seeds": tuple(args.seeds) if args.seeds else None,
        "workers": args.workers,
        "arms": tuple(args.arms) if args.arms else None,
        "eval_split": "validation" if args.validation else None,
        "fit_steps": args.fit_steps,
        "dpo_steps": args.dpo_steps,
        "fit_extra": args.fit_extra,
        "dpo_lr": args.dpo_lr,
        "beta": args.beta,
        "explicit_questions": args.explicit_questions,
        "loss_type": tuple(args.loss_type) if args.loss_type else None,
        "loss_weights": tuple(args.loss_weights) if args.loss_weights else None,
        "group_batches": False if args.random_batches else None,
        "base_cache": args.base_cache,
    }
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    summary = run_miniature(config, log=lambda line: print(line, flush=True))
    print()
    print(format_table(summary))
    print(f"\n{summary['seconds']:.0f} s; results.md, results.json and results.png in {config.output_dir}")
    if args.readme:
        write_readme_table(args.readme, summary, config.output_dir / "results.png")
        print(f"table written into {args.readme}")
    print(
        "RESULT "
        + json.dumps({"ranking_holds": not summary["ranking"], "seconds": round(summary["seconds"])})
    )
    return 0 if not summary["ranking"] else 1


def _gain(args: argparse.Namespace) -> int:
    """``--gain``: base vs TimeWarp per seed, the quickstart's way (one process, no worker pool)."""
    if args.readme or args.quick:
        raise SystemExit(
            "--gain takes neither --readme (`timewarp quickstart --readme` writes that) nor --quick"
        )
    settings = {k: v for k, v in QUICKSTART_PAIR.items() if k != "seed"}
    flags = {
        "fit_steps": args.fit_steps,
        "fit_extra": args.fit_extra,
        "dpo_steps": args.dpo_steps,
        "dpo_lr": args.dpo_lr,
        "beta": args.beta,
        "loss_type": tuple(args.loss_type) if args.loss_type else None,
        "loss_weights": tuple(args.loss_weights) if args.loss_weights else None,
        "group_batches": False if args.random_batches else None,
    }
    settings.update({k: v for k, v in flags.items() if v is not None})
    split = "validation" if args.validation else "test"
    rows = []
    for seed in args.seeds or (QUICKSTART_PAIR["seed"],):
        out = args.output / f"seed{seed}"
        result = base_and_timewarp(
            out, seed=seed, base_cache=args.base_cache, eval_split=split, log=print, **settings
        )
        answers = answer_accuracy(out, out / "data" / split)
        row = {
            "seed": seed,
            "likelihood": {side: _temporal(result[side]["accuracy"]) for side in ("base", "timewarp")},
            "answers": answers,
            "seconds": round(result["seconds"]),
        }
        rows.append(row)
        print(format_gain(result))
        print("SEED " + json.dumps(row), flush=True)
    mean = {
        "likelihood_gain": sum(r["likelihood"]["timewarp"] - r["likelihood"]["base"] for r in rows)
        / len(rows),
        "answer_gain": sum(
            r["answers"]["timewarp"]["order_exact"] - r["answers"]["base"]["order_exact"] for r in rows
        )
        / len(rows),
        "timewarp_valid": sum(r["answers"]["timewarp"]["valid"] for r in rows) / len(rows),
    }
    summary = {"split": split, "settings": settings, "seeds": rows, "mean": mean}
    (args.output / "gain.json").write_text(json.dumps(summary, indent=2, default=list) + "\n")
    print("RESULT " + json.dumps({"split": split, **mean}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
