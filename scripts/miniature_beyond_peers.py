"""Arms of the miniature reproduction for the options beyond the peers: video-contrast pairs (alone and
mixed with answer-contrast pairs), the easy-to-hard curriculum, and the fake-reject filter.

Reuses :mod:`timewarp_hf.testing.fitting` (benchmark, tiny model, cross-entropy fitting, DPO arm, likelihood
evaluation) unchanged; every arm of a seed starts from the same fitted model and gets the same DPO budget.
Pairs are built by the real builder engine (:class:`~timewarp_hf.pipeline.PairPipeline`) with the fitted
model as captioner and the options under test (``pair_type``, ``min_warp_change``); the curriculum arm
trains with ``TimeWarpDPOConfig(curriculum="easy_to_hard")``.

Arms:
  base            the seed's fitted model, no DPO
  warped          answer-contrast pairs over ``reverse`` (the miniature's ``warped`` arm)
  video_contrast  video-contrast pairs over ``reverse``
  both            both pair types over ``reverse``, mixed in one dataset
  multi           answer-contrast pairs over five warps, fake-reject filter on (default threshold)
  multi_nofilter  the same with ``min_warp_change=0``
  multi_curriculum  ``multi`` trained easy to hard (``curriculum_pacing="epochs"``, 3 stages)

The arms that do not use the curriculum keep the miniature's paired batches (a clip next to its time
reversal); the curriculum sampler orders by difficulty instead, so ``multi_curriculum`` vs ``multi``
compares the two orders, not a curriculum against random batches. An experiment on the miniature
reproduction, not a speed benchmark (``scripts/bench_*.py``).

    nice -n 10 python scripts/miniature_beyond_peers.py --output outputs/beyond_peers --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench_common import markdown_table

MULTI_WARPS = ("reverse", "segment_swap", "local_shuffle", "freeze", "speed")
ARMS = {
    # arm: (warps, pair_type, min_warp_change or None for the default, curriculum)
    "base": ((), "", None, False),  # the fitted model, no DPO: the reference point of every arm
    "warped": (("reverse",), "answer_contrast", None, False),
    "video_contrast": (("reverse",), "video_contrast", None, False),
    "both": (("reverse",), "both", None, False),
    "multi": (MULTI_WARPS, "answer_contrast", None, False),
    "multi_nofilter": (MULTI_WARPS, "answer_contrast", 0.0, False),
    "multi_curriculum": (MULTI_WARPS, "answer_contrast", None, True),
}


def build_pairs(model, processor, model_dir: Path, train_dir: Path, seed: int, warps, pair_type, min_change):
    """The warped recipe through PairPipeline with the fitted model, each clip asked its own benchmark
    question (as :func:`timewarp_hf.testing.fitting.captioner_pairs`, plus the options under test)."""
    from timewarp_hf.config import TimeWarpConfig
    from timewarp_hf.generation.transformers_backend import TransformersBackend
    from timewarp_hf.pipeline import PairPipeline
    from timewarp_hf.sources import BaseExample
    from timewarp_hf.testing.fitting import benchmark_rows

    backend = TransformersBackend(model, processor, batch_size=32, max_new_tokens=24, progress=False)
    by_question: dict[str, list[dict]] = defaultdict(list)
    for row in benchmark_rows(train_dir):
        by_question[row["question"]].append(row)
    options: dict[str, Any] = {"pair_type": pair_type}
    if min_change is not None:
        options["min_warp_change"] = min_change
    rows, counters = [], Counter()
    for question, clips in sorted(by_question.items()):
        config = TimeWarpConfig(
            name="beyond",
            recipe="warped",
            captioner=str(model_dir),
            seed=seed,
            max_new_tokens=24,
            videos_per_chunk=64,
            warps=warps,
            questions=(question,),
            **options,
        )
        pipeline = PairPipeline(config, str(train_dir), captioner=backend)
        examples = (
            BaseExample(row["video_id"], str(train_dir / row["file_name"]), {"scenes": row["scenes"]})
            for row in clips
        )
        rows += [{**r, "frame_indices": list(r["frame_indices"])} for r in pipeline.run(examples)]
        counters += pipeline.counters
    return rows, counters


def train_curriculum(model, processor, pairs, held_out, config, seed: int, out: Path) -> dict[str, Any]:
    """:func:`timewarp_hf.testing.fitting.train_dpo` with the curriculum sampler in place of the paired order."""
    from dataclasses import replace

    from timewarp_hf.testing.fitting import train_dpo

    ungrouped = replace(config, group_batches=False)  # the curriculum sets the order itself
    curriculum = {"curriculum": "easy_to_hard", "curriculum_stages": 3, "curriculum_pacing": "epochs"}
    return train_dpo(model, processor, pairs, held_out, ungrouped, seed, out, False, **curriculum)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import datasets
    import torch
    import transformers
    from datasets import Dataset, load_from_disk
    from miniature import MiniatureConfig  # scripts/miniature.py, beside this script
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from timewarp_hf.testing import fitting as mini

    torch.set_num_threads(1)
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    out = Path(args.output)
    config = MiniatureConfig(output_dir=out, seeds=tuple(args.seeds), dpo_steps=args.dpo_steps)
    paths = mini.prepare_data(config)
    held_path = out / "pairs-explicit-test"
    if not held_path.is_dir():
        held = mini.explicit_pairs(paths["eval"], out / "hf_cache")
        held.shuffle(seed=0).select(range(min(config.held_out_pairs, len(held)))).save_to_disk(str(held_path))
    held_out = load_from_disk(str(held_path))
    runs = []
    processor = AutoProcessor.from_pretrained(paths["checkpoint"])
    for seed in config.seeds:
        folder = out / "seeds" / str(seed)
        start = time.time()
        if not (folder / "fitted" / "config.json").is_file():
            model = mini.fresh_model(paths["checkpoint"], seed, config.init_std)
            mini.fit(model, processor, paths["train"], config, seed)
            model.save_pretrained(folder / "fitted")
            processor.save_pretrained(folder / "fitted")
        print(f"seed {seed}: fitted in {time.time() - start:.0f} s", flush=True)
    # arm-major, so that an interrupted run still has every seed of the arms it finished
    built: dict[tuple, tuple[Dataset, dict]] = {}
    for arm in args.arms:
        warps, pair_type, min_change, curriculum = ARMS[arm]
        for seed in config.seeds:
            folder = out / "seeds" / str(seed)
            start = time.time()
            model = AutoModelForImageTextToText.from_pretrained(folder / "fitted").eval()
            if arm == "base":
                result = {
                    "seed": seed,
                    "arm": arm,
                    **mini.evaluate(model, processor, paths["eval"], folder / arm),
                }
                result.update(pairs=0, no_change_skipped=0, held_out_explicit_reward_accuracy=float("nan"))
                runs.append(result)
                print(f"seed {seed} base: temporal {mini.temporal_mean(result['accuracy']):.3f}", flush=True)
                (out / "runs.json").write_text(json.dumps(runs, indent=2))
                continue
            key = (seed, warps, pair_type, min_change)
            if key not in built:
                rows, counters = build_pairs(
                    model, processor, folder / "fitted", paths["train"], seed, warps, pair_type, min_change
                )
                built[key] = (Dataset.from_list(rows), dict(counters))
            pairs, counters = built[key]
            run_dir = folder / arm / "run"
            if curriculum:
                trained = train_curriculum(model, processor, pairs, held_out, config, seed, run_dir)
            else:
                trained = mini.train_dpo(model, processor, pairs, held_out, config, seed, run_dir, False)
            model.eval()
            result = {
                "seed": seed,
                "arm": arm,
                **mini.evaluate(model, processor, paths["eval"], folder / arm),
                "pairs": len(pairs),
                "pair_types": dict(Counter(pairs["pair_type"])),
                "no_change_skipped": counters.get("warp_skipped/no_change", 0),
                "mean_difficulty": statistics.fmean(pairs["difficulty"]) if len(pairs) else None,
                **trained,
                "seconds": time.time() - start,
            }
            runs.append(result)
            print(
                f"seed {seed} {arm}: temporal {mini.temporal_mean(result['accuracy']):.3f}, pairs {len(pairs)}, "
                f"no_change {result['no_change_skipped']} ({result['seconds']:.0f} s)",
                flush=True,
            )
            (out / "runs.json").write_text(json.dumps(runs, indent=2))
            (out / "results.md").write_text(table(runs, args.arms) + "\n")
    return {"runs": runs, "table": table(runs, args.arms)}


def _mean_std(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}" if values else "-"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def table(runs: list[dict[str, Any]], arms: list[str]) -> str:
    from timewarp_hf.constants import ORDER_DEPENDENT_TYPES
    from timewarp_hf.testing.fitting import temporal_mean

    headers = ["arm", "pairs", "fake rejects skipped", "temporal (mean)", "temporal pairs"]
    headers.append("held-out explicit reward acc.")
    rows = []
    for arm in arms:
        rs = [r for r in runs if r["arm"] == arm]
        if not rs:
            continue
        temporal = [temporal_mean(r["accuracy"]) for r in rs]
        pairs_acc = [statistics.fmean(r["pair_accuracy"][t] for t in ORDER_DEPENDENT_TYPES) for r in rs]
        held = [v for r in rs if (v := r["held_out_explicit_reward_accuracy"]) == v]  # NaN: no DPO
        counts = "/".join(str(r["pairs"]) for r in rs)
        skipped = "/".join(str(r["no_change_skipped"]) for r in rs)
        rows.append([f"`{arm}`", counts, skipped, _mean_std(temporal), _mean_std(pairs_acc), _mean_std(held)])
    return markdown_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", default="outputs/beyond_peers")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--dpo-steps", type=int, default=150)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument(
        "--merge", nargs="*", default=[], help="runs.json files of earlier invocations to add to the table"
    )
    args = parser.parse_args()
    result = run(args)
    merged = [r for file in args.merge for r in json.loads(Path(file).read_text())] + result["runs"]
    runs = list({(r["arm"], r["seed"]): r for r in merged}.values())  # one run per arm and seed
    arms = [arm for arm in ARMS if any(r["arm"] == arm for r in runs)]
    text = table(runs, arms)
    Path(args.output, "results.md").write_text(text + "\n")
    Path(args.output, "all_runs.json").write_text(json.dumps(runs, indent=2))
    print(text)


if __name__ == "__main__":
    main()
