#!/usr/bin/env python
"""Temporal-sensitivity probes on the synthetic temporal benchmark: does a TimeWarp-trained miniature
model rely on frame order more than its base?

For each seed it builds the miniature reproduction's pieces (:mod:`timewarp_hf.testing.fitting`: the tiny
Qwen2-VL, fitted with cross-entropy on the train split = "base"; then TimeWarp DPO on the explicit
recipe's pairs = "timewarp"), and scores both on the test split with ``timewarp eval --scoring likelihood
--probe P`` for every probe. It prints, per model and probe, accuracy on true vs probed frames, the drop
and the flip rate, separately for the order-dependent question types (direction, event order, next
event, playback, speed change) and the others (appearance, repetitions), averaged over seeds.

    OMP_NUM_THREADS=1 python scripts/miniature_probes.py --seeds 0 1 2 --out outputs/probes

The table it prints is the one in the README ("Temporal-sensitivity probes"). An experiment on the
miniature reproduction, not a speed benchmark (``scripts/bench_*.py``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench_common import markdown_table
from miniature import MiniatureConfig  # scripts/miniature.py, beside this script

from timewarp_hf.constants import ORDER_DEPENDENT_TYPES
from timewarp_hf.evaluation import EvalArguments, run_eval
from timewarp_hf.evaluation.probes import PROBES


def _models(config: MiniatureConfig, seed: int) -> dict[str, Path]:
    """The base (fitted) and TimeWarp (explicit-recipe DPO) models of one seed, saved once."""
    from datasets import load_from_disk
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from timewarp_hf.testing import fitting as miniature

    out = Path(config.output_dir)
    paths = miniature.prepare_data(config)
    for split, name in (("train", "pairs-explicit"), ("eval", "pairs-explicit-test")):
        if not (out / name).is_dir():
            pairs = miniature.explicit_pairs(paths[split], out / "hf_cache")
            if split == "eval":
                pairs = pairs.shuffle(seed=0).select(range(min(config.held_out_pairs, len(pairs))))
            pairs.save_to_disk(str(out / name))
    folder = out / "seeds" / str(seed)
    models = {"base": folder / "base", "timewarp": folder / "timewarp"}
    if not (models["base"] / "config.json").is_file():
        processor = AutoProcessor.from_pretrained(paths["checkpoint"])
        model = miniature.fresh_model(paths["checkpoint"], seed, config.init_std)
        miniature.fit(model, processor, paths["train"], config, seed)
        model.save_pretrained(models["base"])
        processor.save_pretrained(models["base"])
    if not (models["timewarp"] / "config.json").is_file():
        model = AutoModelForImageTextToText.from_pretrained(models["base"])
        processor = AutoProcessor.from_pretrained(models["base"])
        pairs, held_out = (
            load_from_disk(str(out / "pairs-explicit")),
            load_from_disk(str(out / "pairs-explicit-test")),
        )
        miniature.train_dpo(model, processor, pairs, held_out, config, seed, folder / "run", False)
        model.save_pretrained(models["timewarp"])
        processor.save_pretrained(models["timewarp"])
        shutil.rmtree(folder / "run", ignore_errors=True)
    return {**models, "test": paths["eval"]}


def _split_scores(predictions: Path) -> dict[str, dict[str, float]]:
    """Accuracy true/probed, drop and flip rate over order-dependent and other questions."""
    groups: dict[str, list[dict]] = {"order": [], "other": []}
    for line in predictions.read_text().splitlines():
        record = json.loads(line)
        if "probe_correct" in record:
            groups["order" if record["category"] in ORDER_DEPENDENT_TYPES else "other"].append(record)
    scores = {}
    for name, records in groups.items():
        n = len(records)
        accuracy = sum(r["correct"] for r in records) / n
        probed = sum(r["probe_correct"] for r in records) / n
        flips = sum(r["extracted"] != r["probe_extracted"] for r in records) / n
        scores[name] = {"accuracy": accuracy, "probed": probed, "drop": accuracy - probed, "flip_rate": flips}
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/probes", help="working folder (models, runs)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--probes", nargs="+", default=list(PROBES), choices=PROBES)
    args = parser.parse_args()
    start = time.time()
    config = MiniatureConfig.quick(Path(args.out), seeds=tuple(args.seeds))
    results: dict[tuple[str, str], list[dict]] = {}
    for seed in args.seeds:
        models = _models(config, seed)
        for arm in ("base", "timewarp"):
            for probe in args.probes:
                run = Path(args.out) / "runs" / str(seed) / arm / probe
                run_eval(
                    EvalArguments(
                        model=str(models[arm]),
                        benchmark=str(models["test"]),
                        scoring="likelihood",
                        probe=probe,
                        output=str(run),
                        device="cpu",
                        dtype="float32",
                    )
                )
                results.setdefault((arm, probe), []).append(_split_scores(run / "predictions.jsonl"))
        print(f"seed {seed} done ({time.time() - start:.0f} s)", file=sys.stderr, flush=True)
    print(
        f"synthetic temporal benchmark, test split ({config.test_pairs_per_type} clip pairs per question type), "
        f"likelihood scoring, 8 frames; mean over seeds {args.seeds}; percent. base = the tiny Qwen2-VL fitted "
        f"with cross-entropy ({config.fit_steps} steps); timewarp = base + {config.dpo_steps} steps of TimeWarp "
        "DPO on the explicit recipe's pairs.\n"
    )
    headers = ["model", "probe", "order qs: accuracy", "probed", "drop", "flip rate"]
    headers += ["other qs: accuracy", "probed", "drop", "flip rate"]
    rows = [
        [arm, probe]
        + [
            f"{100 * statistics.fmean(r[group][key] for r in runs):.1f}"
            for group in ("order", "other")
            for key in ("accuracy", "probed", "drop", "flip_rate")
        ]
        for (arm, probe), runs in results.items()
    ]
    print(markdown_table(headers, rows))
    print(f"\n{time.time() - start:.0f} s in all")


if __name__ == "__main__":
    main()
