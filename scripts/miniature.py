"""The paper's claim in miniature: on a benchmark whose answers depend only on time, does TimeWarp DPO make
a Video-LLM read temporal order, where the order-blind and appearance-only controls do not?

The experiment driver (arms, seeds, worker processes, tables, plots) of ``scripts/reproduce_miniature.py``;
the engine it drives (fitting, pairs, DPO, scoring) is the package's :mod:`timewarp_hf.testing.fitting`, which
the quickstart and the demo use too. Everything runs on a CPU in minutes; ``tests/test_miniature.py`` runs
the quick variant (``scripts/recipes/miniature_quick.yaml``) in CI. The pieces, and why each is the way it is:

* **Benchmark** (:func:`~timewarp_hf.testing.make_temporal_benchmark`): every temporal clip is paired with
  its exact time reversal, so only frame order can beat chance on the order-dependent question types;
  train and test splits are disjoint. Scored with ``timewarp eval``'s likelihood scoring (the option
  phrase the model finds most probable), since a tiny model cannot be read from free text.
* **Model**: the testing kit's tiny Qwen2-VL (hidden 64, 2 layers, about 190k parameters), re-initialised
  per seed with ``initializer_range`` 0.1: at the default 0.02 the tiny Qwen models often never leave the
  "ignore the video" plateau.
* **Fitting** (before any arm): a random model cannot answer at all, and the ``warped`` and ``implicit``
  recipes need a model that answers. So each seed's model is first fine-tuned with plain cross-entropy
  (``fit_steps`` steps, random batches, true frame order) on the train split's questions and gold answer
  phrases, as a Video-LLM is instruction-tuned before TimeWarp. This "base" speaks the answer phrases
  and fits the training clips, but generalises order poorly to the test clips; that gap is what TimeWarp
  claims to close. Every arm starts from the same fitted model of its seed.
* **Arms**, each ``dpo_steps`` of :class:`~timewarp_hf.trainer.TimeWarpDPOTrainer` (full fine-tuning,
  sigmoid DPO, cosine schedule) from the fitted model:

  - ``base``: no DPO.
  - ``explicit``: ``load_dataset("timewarp", recipe="explicit", generator="template")`` on the train
    split; chosen and rejected answer rule-written order questions (first, last, right after, before or
    after, in which order, ...) from the true vs shuffled scene captions.
  - ``warped``: the fitted model is the captioner; it answers each clip's own benchmark question on the
    true frames (chosen) and on time-reversed frames (rejected); pairs whose answers agree are dropped by
    the quality filter. Gold answers are never used, only the model's own answers.
  - ``implicit``: the appearance-only control; the fitted model's description of clean frames vs of
    corrupted frames (colour jitter, downscaling) or of a hallucination prompt. No temporal contrast.
  - ``order_blind``: the explicit pairs with ``shuffle_frames=True`` (frames scrambled in the collator).
  - ``order_blind_warped``: the warped pairs with frames scrambled, the control matched to ``warped``.

* **Batches** hold a question about a clip next to the same question about its time reversal
  (``TimeWarpDPOConfig.group_batches_by``, :mod:`timewarp_hf.sampling`): with random batches the "always
  give answer X" gradient drowns the weak order signal (a tiny Qwen2-VL stays at loss 0.693).
* **Settings** are chosen with ``eval_split="validation"`` (the test split's distribution from another
  seed); the test split is only scored.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import statistics
import time
import warnings
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from timewarp_hf.constants import ORDER_DEPENDENT_TYPES
from timewarp_hf.testing.fitted_pair import machine, write_readme_block
from timewarp_hf.testing.fitting import (
    FitConfig,
    benchmark_rows,
    evaluate,
    explicit_pairs,
    fit_base,
    fitted_dir,
    prepare_data,
    temporal_mean,
    train_dpo,
)

ARMS = ("base", "explicit", "warped", "implicit", "order_blind", "order_blind_warped")
# Which pairs each trained arm learns from, and whether its collator scrambles the frames.
ARM_PAIRS = {
    "explicit": ("explicit", False),
    "warped": ("warped", False),
    "implicit": ("implicit", False),
    "order_blind": ("explicit", True),
    "order_blind_warped": ("warped", True),
}
TIMEWARP_ARMS = ("explicit", "warped")
CONTROL_ARMS = ("base", "order_blind", "order_blind_warped")
ARM_LABELS = {
    "base": "base (fitted, no DPO)",
    "explicit": "TimeWarp-explicit",
    "warped": "TimeWarp-warped",
    "implicit": "appearance-only (implicit)",
    "order_blind": "order-blind (explicit pairs)",
    "order_blind_warped": "order-blind (warped pairs)",
}
# Columns of the table: the order-dependent types, their mean, then the order-free ones.
ORDER_TYPES = ORDER_DEPENDENT_TYPES
COLUMNS = (*ORDER_TYPES, "temporal", "temporal_pairs", "repetitions", "appearance", "explicit_held_out")
COLUMN_LABELS = {
    "temporal": "temporal (mean)",
    "temporal_pairs": "temporal pairs",
    "explicit_held_out": "held-out explicit pairs",
}


@dataclass(frozen=True)
class MiniatureConfig(FitConfig):
    """What one reproduction runs: the fitting and DPO settings (:class:`FitConfig`) and the experiment's
    seeds, arms and workers. ``scripts/recipes/miniature.yaml`` and ``miniature_quick.yaml`` (the CI run)
    hold the settings as data.

    Args:
        seeds: One fitted model and one run of every arm per seed.
        workers: Processes running seeds and arms side by side (one torch thread each).
        arms: Which of :data:`ARMS` to run.
        held_out_pairs: Explicit pairs from the evaluation split's captions on which every trained arm's
            DPO reward accuracy is measured: did it learn to read order in the format it was trained on?
    """

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    workers: int = 2
    arms: tuple[str, ...] = ARMS
    held_out_pairs: int = 256

    def __post_init__(self):
        super().__post_init__()
        unknown = set(self.arms) - set(ARMS)
        if unknown:
            raise ValueError(f"unknown arms {sorted(unknown)}; accepted: {', '.join(ARMS)}")


def _captioned_recipes(config: MiniatureConfig) -> list[str]:
    return sorted({ARM_PAIRS[arm][0] for arm in config.arms if arm != "base"} - {"explicit"})


def _worker_setup() -> None:
    """Each worker process: one torch thread (two threads beside another busy process make a step ~40x
    slower on a 2-core machine), no progress bars and no deprecation chatter from the libraries (the
    parent logs one line per finished job)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=FutureWarning)
    import datasets
    import torch
    import transformers

    torch.set_num_threads(1)
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()


def _fit_seed(config: MiniatureConfig, paths: dict[str, Path], seed: int) -> dict[str, Any]:
    """Phase 1 of a seed: fit the model (or reuse the cached fitting), score it (the ``base`` arm) and let
    it caption the model-made pairs."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    start = time.time()
    info = fit_base(config, paths, seed, _captioned_recipes(config))
    target = fitted_dir(config, seed)
    model = AutoModelForImageTextToText.from_pretrained(target / "model").eval()
    processor = AutoProcessor.from_pretrained(target / "model")
    folder = Path(config.output_dir) / "seeds" / str(seed)
    result = {
        "seed": seed,
        "arm": "base",
        **evaluate(model, processor, paths["eval"], folder / "base"),
        **info,
        "seconds": time.time() - start,
    }
    (folder / "base" / "result.json").write_text(json.dumps(result, indent=2))
    return result


def _train_arm(config: MiniatureConfig, paths: dict[str, Path], seed: int, arm: str) -> dict[str, Any]:
    """Phase 2: one arm of one seed, from that seed's fitted model."""
    from datasets import load_from_disk
    from transformers import AutoModelForImageTextToText, AutoProcessor

    start = time.time()
    folder = Path(config.output_dir) / "seeds" / str(seed)
    target = fitted_dir(config, seed)
    model = AutoModelForImageTextToText.from_pretrained(target / "model")
    processor = AutoProcessor.from_pretrained(target / "model")
    source, shuffle = ARM_PAIRS[arm]
    out = Path(config.output_dir)
    pairs = load_from_disk(
        str(out / "pairs-explicit" if source == "explicit" else target / f"pairs-{source}")
    )
    held_out = load_from_disk(str(out / f"pairs-explicit-{config.eval_split}"))
    trained = train_dpo(model, processor, pairs, held_out, config, seed, folder / arm / "run", shuffle)
    model.eval()
    result = {
        "seed": seed,
        "arm": arm,
        **evaluate(model, processor, paths["eval"], folder / arm),
        "pairs": len(pairs),
        **trained,
        "seconds": time.time() - start,
    }
    shutil.rmtree(folder / arm / "run", ignore_errors=True)
    (folder / arm / "result.json").write_text(json.dumps(result, indent=2))
    return result


def run_miniature(config: MiniatureConfig, log: Any = print) -> dict[str, Any]:
    """Run every seed and arm, then write ``results.json``, ``results.md`` and ``results.png``.

    Returns the summary (see :func:`summarize`) with the per-run results under ``runs``.
    """
    start = time.time()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = prepare_data(config)
    for split, name in (("train", "pairs-explicit"), ("eval", f"pairs-explicit-{config.eval_split}")):
        if not (out / name).is_dir():
            pairs = explicit_pairs(paths[split], out / "hf_cache", config.explicit_questions)
            if split == "eval":  # a fixed sample, the same for every arm and seed
                pairs = pairs.shuffle(seed=0).select(range(min(config.held_out_pairs, len(pairs))))
            pairs.save_to_disk(str(out / name))
    shutil.rmtree(out / "hf_cache", ignore_errors=True)
    runs: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")  # no fork of a process that holds torch threads
    with ProcessPoolExecutor(config.workers, mp_context=context, initializer=_worker_setup) as pool:
        fitted = [pool.submit(_fit_seed, config, paths, seed) for seed in config.seeds]
        arms = [arm for arm in config.arms if arm != "base"]
        pending = []
        for future in fitted:
            result = future.result()
            log(
                f"seed {result['seed']}: fitted and scored in {result['seconds']:.0f} s; pairs {result['pairs']}"
            )
            if "base" in config.arms:
                runs.append(result)
            pending += [pool.submit(_train_arm, config, paths, result["seed"], arm) for arm in arms]
        for future in pending:
            result = future.result()
            log(
                f"seed {result['seed']} {result['arm']}: temporal {temporal_mean(result['accuracy']):.3f} "
                f"({result['seconds']:.0f} s)"
            )
            runs.append(result)
    config_record = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
    return write_results(out, runs, config_record, time.time() - start)


def write_results(
    out: Path, runs: list[dict[str, Any]], config: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """Summarize ``runs`` (per arm and seed, as :func:`run_miniature` collects them), check the ranking and
    write ``results.json``, ``results.md`` and ``results.png`` into ``out``; returns the summary. Also
    how ``reproduce_miniature.py --report`` re-renders a finished run."""
    summary = summarize(runs)
    summary.update(config=config, seconds=seconds, ranking=check_ranking(summary), runs=runs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "results.md").write_text(format_table(summary) + "\n")
    plot(summary, out / "results.png")
    return summary


# -------------------------------------------------------------------------------------------- reporting


def _cells(run: dict[str, Any]) -> dict[str, float]:
    cells = {t: run["accuracy"][t] for t in (*ORDER_TYPES, "repetitions", "appearance")}
    cells["temporal"] = temporal_mean(run["accuracy"])
    cells["temporal_pairs"] = statistics.fmean(run["pair_accuracy"][t] for t in ORDER_TYPES)
    if "held_out_explicit_reward_accuracy" in run:
        cells["explicit_held_out"] = run["held_out_explicit_reward_accuracy"]
    return cells


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean, sample standard deviation and per-seed values of every column, per arm."""
    by_arm: dict[str, list[dict[str, float]]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: r["seed"]):
        by_arm[run["arm"]].append(_cells(run))
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for arm in (a for a in ARMS if a in by_arm):
        table[arm] = {}
        for column in COLUMNS:
            values = [seed[column] for seed in by_arm[arm] if column in seed]
            if values:
                std = statistics.stdev(values) if len(values) > 1 else 0.0
                table[arm][column] = {"mean": statistics.fmean(values), "std": std, "values": values}
    return {"table": table, "seeds": len(next(iter(by_arm.values()), []))}


def check_ranking(summary: dict[str, Any]) -> list[str]:
    """What the method predicts, checked; returns the violations (empty when the ranking holds).

    On the order-dependent questions (mean accuracy over their five types) every TimeWarp arm must beat
    ``base`` and both order-blind controls by more than the seed-to-seed spread (the larger of the two arms'
    standard deviations); on the appearance-only questions it must not fall below ``base`` by more than
    that spread.
    """
    table = summary["table"]
    problems = []
    for arm in (a for a in TIMEWARP_ARMS if a in table):
        for column, rivals in (("temporal", CONTROL_ARMS), ("appearance", ("base",))):
            for rival in (r for r in rivals if r in table):
                mine, theirs = table[arm][column], table[rival][column]
                spread = max(mine["std"], theirs["std"])
                gap = mine["mean"] - theirs["mean"]
                if column == "temporal" and not gap > spread:
                    problems.append(
                        f"{arm} is not above {rival} on temporal questions by more than the seed spread: "
                        f"{mine['mean']:.3f} vs {theirs['mean']:.3f} (gap {gap:+.3f}, spread {spread:.3f})"
                    )
                if column == "appearance" and gap < -spread:
                    problems.append(
                        f"{arm} loses on appearance questions beyond the seed spread: {mine['mean']:.3f} vs "
                        f"{theirs['mean']:.3f} (gap {gap:+.3f}, spread {spread:.3f})"
                    )
    return problems


def format_table(summary: dict[str, Any]) -> str:
    """The markdown table: mean ± std over seeds of test accuracy, per arm and question type."""
    table = summary["table"]
    header = ["arm", *(COLUMN_LABELS.get(c, c) for c in COLUMNS)]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for arm, columns in table.items():
        cells = [
            f"{columns[c]['mean']:.3f} ± {columns[c]['std']:.3f}" if c in columns else "–" for c in COLUMNS
        ]
        lines.append(f"| {ARM_LABELS[arm]} | " + " | ".join(cells) + " |")
    notes = [
        "",
        f"Test accuracy (likelihood scoring), mean ± sample std over {summary['seeds']} seeds. "
        "`temporal (mean)`: the five order-dependent types; `temporal pairs`: share of clip pairs (a clip "
        "and its exact reversal) with both answers right, over the same types. `repetitions` is temporal "
        "but order-free; `appearance` is the control. `held-out explicit pairs`: DPO reward accuracy "
        "(against the fitted model) on explicit-recipe pairs built from the test split's captions, frames "
        "in true order: whether an arm learned to read order in the explicit recipe's own format.",
    ]
    ranking = summary.get("ranking")
    if ranking is not None:
        notes.append("")
        notes.append(
            "Predicted ranking holds."
            if not ranking
            else "Predicted ranking does NOT hold:\n" + "\n".join(f"- {p}" for p in ranking)
        )
    return "\n".join(lines + notes)


_PALETTE = {
    "base": (120, 120, 120),
    "explicit": (31, 119, 180),
    "warped": (44, 160, 44),
    "implicit": (255, 127, 14),
    "order_blind": (214, 39, 40),
    "order_blind_warped": (148, 103, 189),
}


def plot(summary: dict[str, Any], path: Path) -> Path:
    """Grouped bars (mean, with ±std whiskers) per question type and arm, drawn with PIL (matplotlib is
    not a dependency); a dashed line marks chance for two options."""
    from PIL import Image, ImageDraw

    table = summary["table"]
    arms = list(table)
    columns = [c for c in COLUMNS if c not in ("temporal_pairs", "explicit_held_out")]
    bar, gap, left, top, height = 11, 18, 50, 40, 260
    group = bar * len(arms) + gap
    width = left + group * len(columns) + 20
    legend_height = 16 * math.ceil(len(arms) / 3)
    image = Image.new("RGB", (width, top + height + 60 + legend_height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 10), "TimeWarp in miniature: test accuracy per question type (mean ± std)", fill="black")

    def y(value: float) -> float:
        return top + height * (1 - value)

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        draw.line([(left - 4, y(tick)), (width - 10, y(tick))], fill=(225, 225, 225))
        draw.text((8, y(tick) - 6), f"{tick:.2f}", fill="black")
    for x in range(left, width - 10, 8):
        draw.line([(x, y(0.5)), (x + 4, y(0.5))], fill=(90, 90, 90))
    for c, column in enumerate(columns):
        x0 = left + c * group + gap // 2
        for a, arm in enumerate(arms):
            cell = table[arm][column]
            x = x0 + a * bar
            draw.rectangle([x, y(cell["mean"]), x + bar - 2, y(0)], fill=_PALETTE[arm])
            middle = x + (bar - 2) / 2
            low, high = max(0.0, cell["mean"] - cell["std"]), min(1.0, cell["mean"] + cell["std"])
            draw.line([(middle, y(low)), (middle, y(high))], fill="black")
        for line, text in enumerate(COLUMN_LABELS.get(column, column).split(" ")):
            draw.text((x0, top + height + 4 + 11 * line), text, fill="black")
    for a, arm in enumerate(arms):
        x, row = left + (a % 3) * 230, top + height + 40 + 16 * (a // 3)
        draw.rectangle([x, row, x + 10, row + 10], fill=_PALETTE[arm])
        draw.text((x + 14, row - 1), ARM_LABELS[arm], fill="black")
    path = Path(path)
    image.save(path)
    return path


README_MARKERS = ("<!-- miniature-table:start -->", "<!-- miniature-table:end -->")


def describe_run(summary: dict[str, Any]) -> str:
    """One line saying what was run, for how long and on which machine (the README states it)."""
    config = summary["config"]
    seeds = ", ".join(str(s) for s in config["seeds"])
    return (
        f"Seeds {seeds}; {config['fit_steps']} fitting steps (vision patch {config.get('patch_size', 14)} px), "
        f"{config['dpo_steps']} DPO steps per arm, loss "
        f"{' + '.join(config['loss_type'])}"
        + (
            f" (weights {', '.join(f'{w:g}' for w in config['loss_weights'])})"
            if config["loss_weights"]
            else ""
        )
        + f"; scored on the {config['eval_split']} split; {summary['seconds']:.0f} s on a {machine()}."
    )


def write_readme_table(readme: Path, summary: dict[str, Any], plot_path: Path) -> None:
    """Put the run's table (and its one-line description) between :data:`README_MARKERS` in ``readme``
    and copy its plot to ``docs/miniature_results.png`` beside it, so the README's numbers are the
    script's, never typed."""
    readme = Path(readme)
    write_readme_block(readme, README_MARKERS, f"{describe_run(summary)}\n\n{format_table(summary)}")
    docs = readme.parent / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copyfile(plot_path, docs / "miniature_results.png")


def answer_accuracy(folder: Path, eval_dir: Path) -> dict[str, dict[str, float]]:
    """What the demo shows, measured: the pair in ``folder`` answers every clip of ``eval_dir`` in free
    text through the demo's own engine (greedy, all 8 frames); per model, the share of exact answers on
    the order-dependent types (mean over types) and the share of answers that are one of the options."""
    from timewarp_hf.demo import TimeWarpDemo

    folder = Path(folder)
    engine = TimeWarpDemo(str(folder / "base"), str(folder / "timewarp"), cache_dir=folder / "answers")
    right: dict[tuple[str, str], list[bool]] = defaultdict(list)
    valid: dict[str, list[bool]] = defaultdict(list)
    for row in benchmark_rows(Path(eval_dir)):
        shown = engine.run(str(Path(eval_dir) / row["file_name"]), row["question"], ["reverse"], 8)
        for name, answer in (("base", shown.base_answer), ("timewarp", shown.timewarp_answer)):
            right[name, row["category"]].append(answer.strip() == row["answer_text"])
            valid[name].append(answer.strip() in row["options"])
    shutil.rmtree(folder / "answers", ignore_errors=True)
    return {
        name: {
            "order_exact": statistics.fmean(statistics.fmean(right[name, t]) for t in ORDER_TYPES),
            "valid": statistics.fmean(valid[name]),
        }
        for name in ("base", "timewarp")
    }
