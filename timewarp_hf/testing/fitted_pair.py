"""The quickstart's base/TimeWarp pair: a fitted tiny base and its TimeWarp-trained copy, saved with
their scores and the demo's sample clips, so ``timewarp quickstart`` shows the method working and
``timewarp demo`` (and the Space) serve a pair that answers sensibly.

:func:`base_and_timewarp` makes one (the engine is :mod:`timewarp_hf.testing.fitting`); :func:`load_pair`,
:func:`fitted_pair` and :func:`install_pair` find, make or copy a complete one; :func:`format_gain` and
:func:`write_readme_block` report it, :func:`write_sweep_row` the validation runs its settings were chosen by.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..constants import ORDER_DEPENDENT_TYPES
from .fitting import (
    CACHE_FORMAT,
    FitConfig,
    benchmark_rows,
    default_base_cache,
    evaluate,
    explicit_pairs,
    fit_base,
    fitted_dir,
    prepare_data,
    temporal_mean,
    train_dpo,
)

__all__ = [
    "PAIR_FILE",
    "QUICKSTART_PAIR",
    "base_and_timewarp",
    "fitted_pair",
    "format_gain",
    "install_pair",
    "load_pair",
    "machine",
    "write_readme_block",
    "write_sweep_row",
    "SWEEP_MARKERS",
]

# The quickstart's pair (what ``timewarp quickstart`` shows and ``timewarp demo`` serves by default): the
# settings of :func:`base_and_timewarp`, chosen on the validation split with seeds no test uses by
# ``scripts/reproduce_miniature.py --gain --validation --seeds 21 22 [flags] --readme docs/quickstart_tuning.md``;
# that page's table is written by those runs. Earlier runs of the same command (not in the table): beta 0.5,
# 600 DPO steps, 600 fitting steps, three warps and 64 train clip pairs per type all gained less or no more.
QUICKSTART_PAIR: dict[str, Any] = {
    "seed": 0,
    "recipe": "warped",
    "test_pairs_per_type": 8,
    "loss_type": ("sigmoid", "sft"),
    "loss_weights": (1.0, 2.0),
    "dpo_lr": 3e-4,
}
PAIR_FILE = "pair.json"
# The demo's sample clips: the first clip pair (a clip and its exact reversal) of every order-dependent
# type in the test split, a fixed rule, not a choice made by looking at the answers.
_SAMPLE_INDEX = "000"


def base_and_timewarp(
    output_dir: Path,
    *,
    seed: int = 0,
    recipe: str = "warped",
    test_pairs_per_type: int = 8,
    base_cache: Path | None = None,
    log: Any = print,
    **overrides: Any,
) -> dict[str, Any]:
    """One fitted base and its TimeWarp-trained copy, saved as ``base/`` and ``timewarp/`` under
    ``output_dir``, both scored on the synthetic test split (``test_pairs_per_type`` clip pairs per type:
    8 gives 112 questions): what the quickstart shows and the demo serves.

    The same path as one miniature arm (fitting, the builder's pair engine, :class:`TimeWarpDPOTrainer`,
    ``timewarp eval``), in this process. Returns ``{"base": scores, "timewarp": scores, "paths": ...,
    "seconds": ...}`` with scores as :func:`evaluate` gives them, and writes it with the settings and the
    demo's sample clips to ``output_dir/pair.json`` (:func:`load_pair` reads it back).
    """
    from datasets import Dataset, load_from_disk
    from transformers import AutoModelForImageTextToText, AutoProcessor

    start = time.time()
    out = Path(output_dir)
    (out / PAIR_FILE).unlink(missing_ok=True)  # a pair is only complete once this file is rewritten
    config = FitConfig(
        output_dir=out,
        test_pairs_per_type=test_pairs_per_type,
        base_cache=base_cache,
        **overrides,
    )
    paths = prepare_data(config)
    log(f"fitting the tiny base on the synthetic train split (seed {seed})")
    fit_base(config, paths, seed, [recipe] if recipe != "explicit" else [])
    target = fitted_dir(config, seed)
    processor = AutoProcessor.from_pretrained(target / "model")
    model = AutoModelForImageTextToText.from_pretrained(target / "model").eval()
    scores = {"base": evaluate(model, processor, paths["eval"], out / "scores" / "base")}
    if recipe == "explicit":
        pairs = explicit_pairs(paths["train"], out / "hf_cache", config.explicit_questions)
    else:
        pairs = load_from_disk(str(target / f"pairs-{recipe}"))
    held_out = Dataset.from_list([pairs[0]]) if len(pairs) else pairs
    log(f"TimeWarp DPO ({recipe} recipe, {len(pairs)} pairs, {config.dpo_steps} steps)")
    train_dpo(model, processor, pairs, held_out, config, seed, out / "run", shuffle=False)
    model.eval()
    scores["timewarp"] = evaluate(model, processor, paths["eval"], out / "scores" / "timewarp")
    shutil.rmtree(out / "run", ignore_errors=True)
    saved = {}
    for name, weights in (("base", None), ("timewarp", model)):
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)
        if weights is None:
            shutil.copytree(target / "model", folder)
        else:
            weights.save_pretrained(folder)
            processor.save_pretrained(folder)
        saved[name] = str(folder)
    result = {**scores, "paths": saved, "seconds": time.time() - start}
    settings = {"seed": seed, "recipe": recipe, "test_pairs_per_type": test_pairs_per_type, **overrides}
    record = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "settings": _jsonable(settings),
        "base": scores["base"],
        "timewarp": scores["timewarp"],
        "seconds": result["seconds"],
        "samples": _samples(paths["eval"], out),
    }
    (out / PAIR_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return result


def _jsonable(settings: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(settings, default=list))


def _samples(eval_dir: Path, root: Path) -> list[dict[str, Any]]:
    """The demo's samples from the scored split, copied to ``root/samples/`` in a form browsers show in
    true colours (:func:`~timewarp_hf.testing.write_lossless_video` with ``browser=True``): path (relative
    to ``root``), question, options, answer."""
    import av
    import numpy as np

    from .temporal_benchmark import write_lossless_video

    samples = []
    for row in benchmark_rows(eval_dir):
        if row["category"] in ORDER_DEPENDENT_TYPES and row["file_name"].split("-")[1] == _SAMPLE_INDEX:
            with av.open(str(eval_dir / row["file_name"])) as container:
                frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
            write_lossless_video(root / "samples" / row["file_name"], frames, browser=True)
            samples.append(
                {
                    "video": f"samples/{row['file_name']}",
                    "category": row["category"],
                    "question": row["question"],
                    "options": row["options"],
                    "answer": row["answer_text"],
                }
            )
    return samples


def load_pair(folder: Path, settings: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A complete pair saved by :func:`base_and_timewarp` in ``folder`` (with ``settings``, when given), as
    its ``pair.json`` with absolute ``base_model``, ``timewarp_model`` and sample paths; else ``None``."""
    folder = Path(folder)
    path = folder / PAIR_FILE
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    complete = all((folder / name / "config.json").is_file() for name in ("base", "timewarp"))
    # A pair made by another release of the package (its fitting, pairs or trainer may differ) is stale.
    if record.get("format") != CACHE_FORMAT or record.get("version") != __version__ or not complete:
        return None
    if settings is not None and record["settings"] != _jsonable(settings):
        return None
    for sample in record["samples"]:
        sample["video"] = str(folder / sample["video"])
    return {
        **record,
        "base_model": str(folder / "base"),
        "timewarp_model": str(folder / "timewarp"),
    }


def fitted_pair(folder: Path, *, base_cache: Path | None = None, log: Any = print) -> dict[str, Any]:
    """The quickstart's pair (:data:`QUICKSTART_PAIR`) in ``folder``: reused when it is there with these
    settings, else made by :func:`base_and_timewarp` (minutes on a CPU; the fitted base is reused from
    ``base_cache``, default :func:`default_base_cache`). Returns what :func:`load_pair` gives."""
    from filelock import FileLock

    Path(folder).parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{folder}.lock"):  # a second process asking for the pair waits for this one
        found = load_pair(folder, QUICKSTART_PAIR)
        if found is not None:
            return found
        shutil.rmtree(folder, ignore_errors=True)  # nothing from another pair (models, cached answers) stays
        base_and_timewarp(
            Path(folder), base_cache=base_cache or default_base_cache(), log=log, **QUICKSTART_PAIR
        )
        return load_pair(folder, QUICKSTART_PAIR)  # type: ignore[return-value]  (base_and_timewarp wrote it)


def install_pair(source: Path, folder: Path) -> dict[str, Any]:
    """Copy the pair saved in ``source`` (its models, sample clips and ``pair.json``) into ``folder``,
    replacing what was there, and return it as :func:`load_pair` reads it from ``folder``: how the
    quickstart's pair becomes the demo's default models."""
    found = load_pair(source)
    if found is None:
        raise FileNotFoundError(f"no complete base/TimeWarp pair in {source}")
    folder = Path(folder)
    staging = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    for name in ("base", "timewarp"):
        shutil.copytree(Path(source) / name, staging / name)
    for sample in json.loads((Path(source) / PAIR_FILE).read_text())["samples"]:
        (staging / sample["video"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(source) / sample["video"], staging / sample["video"])
    shutil.copyfile(Path(source) / PAIR_FILE, staging / PAIR_FILE)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)
    return load_pair(folder)  # type: ignore[return-value]  (complete: copied from a complete pair)


def format_gain(result: dict[str, Any]) -> str:
    """Base vs TimeWarp per question type, with the mean over the order-dependent types."""
    base, tuned = result["base"]["accuracy"], result["timewarp"]["accuracy"]
    lines = ["| question type | base | TimeWarp | gain |", "|---|---:|---:|---:|"]
    for kind in (*ORDER_DEPENDENT_TYPES, "repetitions", "appearance"):
        if kind in base:
            lines.append(
                f"| {kind} | {base[kind]:.3f} | {tuned[kind]:.3f} | {tuned[kind] - base[kind]:+.3f} |"
            )
    b, t = temporal_mean(base), temporal_mean(tuned)
    lines.append(f"| **order-dependent (mean)** | {b:.3f} | {t:.3f} | **{t - b:+.3f}** |")
    return "\n".join(lines)


def machine() -> str:
    """This machine in the README's words, e.g. ``2-core CPU, no GPU``."""
    import torch

    return f"{os.cpu_count()}-core CPU, " + ("CUDA GPU" if torch.cuda.is_available() else "no GPU")


def write_readme_block(readme: Path, markers: tuple[str, str], block: str) -> None:
    """Replace what lies between the ``markers`` comment lines of ``readme`` with ``block``."""
    readme = Path(readme)
    text = readme.read_text()
    start, end = markers
    if start not in text or end not in text:
        raise ValueError(f"{readme} has no {start} ... {end} block to fill")
    head, rest = text.split(start, 1)
    readme.write_text(f"{head}{start}\n{block}\n{end}{rest.split(end, 1)[1]}")


SWEEP_MARKERS = ("<!-- gain-sweep:start -->", "<!-- gain-sweep:end -->")


def write_sweep_row(page: Path, summary: dict[str, Any]) -> None:
    """Keep ``summary`` (one ``scripts/reproduce_miniature.py --gain`` run, as its ``gain.json`` holds it)
    in ``page``'s ``.json`` sidecar, replacing a run with the same settings, split and seeds, and render
    every kept run as the table between :data:`SWEEP_MARKERS`: how the quickstart's settings were chosen,
    each row written by the run it reports."""
    summary = _jsonable(summary)  # tuples as lists, as the sidecar reads them back
    store = page.with_suffix(".json")
    runs = json.loads(store.read_text()) if store.is_file() else []
    key = [summary["split"], summary["settings"], [row["seed"] for row in summary["seeds"]]]
    runs = [r for r in runs if [r["split"], r["settings"], [x["seed"] for x in r["seeds"]]] != key]
    runs.append({**summary, "machine": machine()})
    chosen = _jsonable({k: v for k, v in QUICKSTART_PAIR.items() if k != "seed"})
    lines = [
        "| settings (besides the quickstart's) | split | seeds | base → TimeWarp, order mean (per seed) "
        "| mean gain | TimeWarp free answers valid | machine |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for run in runs:
        changed = {k: v for k, v in run["settings"].items() if chosen.get(k) != v}
        label = ", ".join(f"{k} {v}" for k, v in changed.items()) or "the quickstart's (`QUICKSTART_PAIR`)"
        seeds = ", ".join(str(row["seed"]) for row in run["seeds"])
        per_seed = "; ".join(
            f"{row['likelihood']['base']:.3f} → {row['likelihood']['timewarp']:.3f}" for row in run["seeds"]
        )
        mean = run["mean"]
        lines.append(
            f"| {label} | {run['split']} | {seeds} | {per_seed} | {mean['likelihood_gain']:+.3f} "
            f"| {mean['timewarp_valid']:.0%} | {run['machine']} |"
        )
    write_readme_block(page, SWEEP_MARKERS, "\n".join(lines))  # raises first if the page has no markers
    store.write_text(json.dumps(runs, indent=2) + "\n")
