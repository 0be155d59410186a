"""The paper's claim in miniature, end to end on a CPU: a tiny Video-LLM, TimeWarp pairs from the train
split of a synthetic temporal benchmark, TimeWarp DPO, and ``timewarp eval`` on the test split, for every
arm (base, TimeWarp-explicit, TimeWarp-warped, the appearance-only and order-blind controls) and several
seeds. Prints the table of mean ± std per arm and question type and writes it, with a plot, to --output.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python scripts/reproduce_miniature.py            # ~11 min on 2 cores
    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python scripts/reproduce_miniature.py --quick    # the CI run, ~3 min
    python scripts/reproduce_miniature.py --gain --validation --seeds 21 22 --dpo-lr 3e-4  # tune the quickstart
    python scripts/reproduce_miniature.py --gain --validation --seeds 21 22 --readme docs/quickstart_tuning.md
    python scripts/reproduce_miniature.py --report outputs/miniature --readme README.md  # re-render a run

The settings are YAML recipes: ``scripts/recipes/miniature.yaml`` (the default) and ``miniature_quick.yaml``
(``--quick``), or any file given with ``--config``; a flag overrides the key it names. What each step does
and why: ``scripts/miniature.py`` (the driver) and :mod:`timewarp_hf.testing.fitting` (the engine). Exit
status 0 when the ranking the method predicts holds, 1 when it does not (the table says which failed).
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
import yaml  # noqa: E402
from miniature import (  # noqa: E402  (scripts/miniature.py, beside this script)
    ARMS,
    MiniatureConfig,
    answer_accuracy,
    format_table,
    run_miniature,
    write_readme_table,
    write_results,
)

from timewarp_hf.testing.fitted_pair import (  # noqa: E402
    QUICKSTART_PAIR,
    base_and_timewarp,
    format_gain,
    write_sweep_row,
)
from timewarp_hf.testing.fitting import PATCH_SIZES, temporal_mean  # noqa: E402

RECIPES = Path(__file__).resolve().parent / "recipes"


def load_config(path: Path, output_dir: Path) -> MiniatureConfig:
    """A :class:`MiniatureConfig` from a YAML recipe (its keys are the dataclass's fields)."""
    values = yaml.safe_load(Path(path).read_text()) or {}
    known = {f.name for f in dataclasses.fields(MiniatureConfig)} - {"output_dir"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SystemExit(f"{path}: unknown keys {unknown}; accepted: {', '.join(sorted(known))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return MiniatureConfig(output_dir=output_dir, **values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("outputs/miniature"), help="output folder")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the CI variant (recipes/miniature_quick.yaml): 3 seeds, half the DPO steps, the compared arms",
    )
    parser.add_argument(
        "--config", type=Path, help="YAML recipe of the settings (default: recipes/miniature.yaml)"
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="run nothing: re-render DIR/results.json's runs (table, ranking, plot; with --readme, README)",
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
    parser.add_argument(
        "--patch-size", type=int, choices=PATCH_SIZES, help="the tiny base's vision patch side"
    )
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
        help="also write the table into this markdown file, between the miniature-table markers; with "
        "--gain: add this run's row to the sweep table between its gain-sweep markers (the rows live in "
        "the .json file beside it)",
    )
    args = parser.parse_args(argv)
    datasets.disable_progress_bars()  # the run logs one line per finished seed and arm instead
    if args.gain:
        return _gain(args)
    if args.report:
        return _report(args)
    recipe = args.config or RECIPES / ("miniature_quick.yaml" if args.quick else "miniature.yaml")
    config = load_config(recipe, args.output)
    overrides = {
        **_fit_flags(args),
        "seeds": tuple(args.seeds) if args.seeds else None,
        "workers": args.workers,
        "arms": tuple(args.arms) if args.arms else None,
        "eval_split": "validation" if args.validation else None,
        "explicit_questions": args.explicit_questions,
        "base_cache": args.base_cache,
    }
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    summary = run_miniature(config, log=lambda line: print(line, flush=True))
    return _print(summary, config.output_dir, args.readme)


def _fit_flags(args: argparse.Namespace) -> dict:
    """The fitting and DPO settings given on the command line (``None``: not given), as ``FitConfig``
    fields: what both the experiment and ``--gain`` let a flag override."""
    return {
        "fit_steps": args.fit_steps,
        "fit_extra": args.fit_extra,
        "patch_size": args.patch_size,
        "dpo_steps": args.dpo_steps,
        "dpo_lr": args.dpo_lr,
        "beta": args.beta,
        "loss_type": tuple(args.loss_type) if args.loss_type else None,
        "loss_weights": tuple(args.loss_weights) if args.loss_weights else None,
        "group_batches": False if args.random_batches else None,
    }


def _report(args: argparse.Namespace) -> int:
    """``--report DIR``: the table, ranking and plot of a finished run, written again from its runs."""
    saved = json.loads((args.report / "results.json").read_text())
    summary = write_results(args.report, saved["runs"], saved["config"], saved["seconds"])
    return _print(summary, args.report, args.readme)


def _print(summary: dict, output_dir: Path, readme: Path | None) -> int:
    print()
    print(format_table(summary))
    print(f"\n{summary['seconds']:.0f} s; results.md, results.json and results.png in {output_dir}")
    if readme:
        write_readme_table(readme, summary, output_dir / "results.png")
        print(f"table written into {readme}")
    print(
        "RESULT "
        + json.dumps({"ranking_holds": not summary["ranking"], "seconds": round(summary["seconds"])})
    )
    return 0 if not summary["ranking"] else 1


def _gain(args: argparse.Namespace) -> int:
    """``--gain``: base vs TimeWarp per seed, the quickstart's way (one process, no worker pool)."""
    if args.quick:
        raise SystemExit("--gain does not take --quick")
    settings = {k: v for k, v in QUICKSTART_PAIR.items() if k != "seed"}
    settings.update({k: v for k, v in _fit_flags(args).items() if v is not None})
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
            "likelihood": {side: temporal_mean(result[side]["accuracy"]) for side in ("base", "timewarp")},
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
    if args.readme:
        write_sweep_row(args.readme, summary)
        print(f"row written into {args.readme}")
    print("RESULT " + json.dumps({"split": split, **mean}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
