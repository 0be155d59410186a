"""A tiny Video-LLM fitted on the synthetic temporal benchmark, and TimeWarp DPO on a copy of it.

What the quickstart's gain step, the demo's default models (:mod:`timewarp_hf.testing.fitted_pair`) and the
miniature experiment (``scripts/miniature.py``, ``scripts/reproduce_miniature.py``) share, and why each
piece is the way it is:

* **Data** (:func:`~timewarp_hf.testing.make_temporal_benchmark`): every temporal clip is paired with its
  exact time reversal, so only frame order can beat chance on the order-dependent question types; train,
  test and validation (the test distribution from :data:`VALIDATION_SEED`) splits are disjoint. Scored
  with ``timewarp eval``'s likelihood scoring, since a tiny model cannot be read from free text.
* **Model**: the testing kit's tiny Qwen2-VL (hidden 64, 2 layers, about 190k parameters), re-initialised
  per seed with ``initializer_range`` 0.1: at the default 0.02 the tiny Qwen models often never leave the
  "ignore the video" plateau.
* **Fitting** (:func:`fit`): a random model cannot answer at all, and the ``warped`` and ``implicit``
  recipes need one that does; so the model is first fine-tuned with cross-entropy on the train split's
  questions and gold answer phrases, true frame order, as a Video-LLM is instruction-tuned before
  TimeWarp. Fitted bases are cached under ``base_cache``, keyed by what the fitting depends on.
* **Pairs**: :func:`explicit_pairs` through ``load_dataset("timewarp", generator="template")``;
  :func:`captioner_pairs` through the builder's engine with the loaded base as captioner.
* **DPO** (:func:`train_dpo`): :class:`~timewarp_hf.trainer.TimeWarpDPOTrainer` against a frozen copy,
  a question about a clip next to the same question about its reversal in one batch
  (``group_batches_by``): with random batches the "always give answer X" gradient drowns the order signal.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..constants import ORDER_DEPENDENT_TYPES

__all__ = [
    "CACHE_FORMAT",
    "PATCH_SIZES",
    "VALIDATION_SEED",
    "FitConfig",
    "captioner_pairs",
    "default_base_cache",
    "evaluate",
    "explicit_pairs",
    "fit",
    "fit_base",
    "fresh_model",
    "fitted_dir",
    "benchmark_rows",
    "pair_key",
    "prepare_data",
    "temporal_mean",
    "train_dpo",
]

_FAMILY = "qwen2_vl"
#: Bumped whenever the cached train split or fitted bases would differ for the same settings.
CACHE_FORMAT = 2
# The validation split: the test split's distribution (layout, square colours) from another seed.
VALIDATION_SEED = 24680
DESCRIBE = "Describe what happens in the video, in order."
_PAIR_SUFFIXES = ("-fwd", "-rev")
#: The tiny base's vision patch sides: the tiny Qwen2-VL's own first (the testing kit's checkpoint as it
#: is), then the finer one.
PATCH_SIZES = (14, 7)


@dataclass(frozen=True)
class FitConfig:
    """What fitting a tiny base and TimeWarp-training a copy of it depend on (the miniature experiment's
    :class:`MiniatureConfig` in ``scripts/miniature.py`` adds its seeds, arms and workers).

    Args:
        output_dir: Where data, models, pairs, evaluations and the results go.
        train_pairs_per_type, test_pairs_per_type: Clip pairs per question type in each split.
        fit_steps, fit_lr: The cross-entropy fitting that gives every arm its starting model.
        dpo_steps, dpo_lr, beta: The DPO budget (the same for every arm of the experiment).
        batch_size: Rows per step, for fitting and DPO.
        init_std: ``initializer_range`` of the re-initialised tiny model.
        patch_size: the tiny model's vision patch side in pixels, 14 (16 video tokens per 8-frame clip) or
            7 (64 tokens): the base's size lever. At 14 the fitted base never learns the motion types, not
            even on the train split; at 7 it does, given enough fitting steps.
        warps: The warped recipe's warps (``reverse``: the benchmark's own pairs are exact reversals).
        fit_extra: extra fitting data besides the benchmark's questions: ``none``, ``captions`` (the
            scene captions as a description) or ``template_qa`` (rule-written order questions).
        explicit_questions: template questions per clip in the explicit pairs (``num_questions``); 1 was
            best on the validation split (0.512 temporal vs 0.469-0.481 with 3 or 9).
        loss_type, loss_weights: TRL's DPO loss mix, e.g. ``("sigmoid", "sft")`` with ``(1.0, 0.5)``: an
            SFT term on the chosen answer against forgetting (as TPO does).
        group_batches: keep a clip pair's rows (a clip and its time reversal) in one batch through the
            trainer's ``group_batches_by="pair_id"``; ``False`` samples batches at random.
        eval_split: ``"test"`` (what the table reports) or ``"validation"``: a split drawn like the test
            split but from another seed (:data:`VALIDATION_SEED`), on which settings are chosen.
        base_cache: a folder keeping fitted bases between runs, keyed by everything the fitting depends
            on (the quick CI run and the full run share them); ``None`` fits afresh in ``output_dir``.
    """

    output_dir: Path
    train_pairs_per_type: int = 32
    test_pairs_per_type: int = 16
    fit_steps: int = 300
    fit_lr: float = 1e-3
    dpo_steps: int = 300
    dpo_lr: float = 1e-3
    beta: float = 0.1
    batch_size: int = 8
    init_std: float = 0.1
    patch_size: int = 14
    warps: tuple[str, ...] = ("reverse",)
    explicit_questions: int = 1
    fit_extra: str = "none"
    loss_type: tuple[str, ...] = ("sigmoid",)
    loss_weights: tuple[float, ...] | None = None
    group_batches: bool = True
    eval_split: str = "test"
    base_cache: Path | None = None

    def __post_init__(self):
        if self.eval_split not in ("test", "validation"):
            raise ValueError(f"eval_split must be 'test' or 'validation', got {self.eval_split!r}")
        if self.patch_size not in PATCH_SIZES:
            raise ValueError(
                f"patch_size must be one of {PATCH_SIZES} (the 56-pixel clips split into whole 2x2-merged "
                f"patches), got {self.patch_size!r}"
            )


# ----------------------------------------------------------------------------------------- model and data


def prepare_data(config: FitConfig) -> dict[str, Path]:
    """The tiny checkpoint and both benchmark splits, made once per output folder; with a ``base_cache``
    the checkpoint and the train split live there, beside the fitted bases and pairs that refer to them."""
    from filelock import FileLock

    from .models import make_tiny_vlm
    from .temporal_benchmark import make_temporal_benchmark

    out = Path(config.output_dir)
    shared = Path(config.base_cache) if config.base_cache is not None else out
    patch = "" if config.patch_size == PATCH_SIZES[0] else f"-patch{config.patch_size}"
    paths = {
        "checkpoint": shared / f"tiny-{_FAMILY}{patch}",
        "train": shared / "data" / f"train-{config.train_pairs_per_type}-v{CACHE_FORMAT}",
        "eval": out / "data" / config.eval_split,
    }
    shared.mkdir(parents=True, exist_ok=True)
    with FileLock(str(shared / "data.lock")):  # parallel runs sharing a base_cache make it once
        if not (paths["checkpoint"] / "config.json").is_file():
            make_tiny_vlm(paths["checkpoint"], _FAMILY)
            if config.patch_size != PATCH_SIZES[0]:
                _set_patch_size(paths["checkpoint"], config.patch_size)
        for key, count in (("train", config.train_pairs_per_type), ("eval", config.test_pairs_per_type)):
            marker = paths[key] / "metadata.jsonl"
            if not marker.is_file() or _pairs_per_type(marker) != count:
                shutil.rmtree(paths[key], ignore_errors=True)
                split = "train" if key == "train" else "test"
                seed = VALIDATION_SEED if config.eval_split == "validation" and key == "eval" else None
                make_temporal_benchmark(paths[key], split, pairs_per_type=count, seed=seed)
    return paths


def _set_patch_size(checkpoint: Path, patch_size: int) -> None:
    """Rewrite a tiny checkpoint with another vision patch side: the config, the image and video
    processors, and weights of the new shape (random; :func:`fresh_model` re-initialises them anyway)."""
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    config = AutoConfig.from_pretrained(checkpoint)
    config.vision_config.patch_size = patch_size
    processor = AutoProcessor.from_pretrained(checkpoint)
    processor.image_processor.patch_size = processor.video_processor.patch_size = patch_size
    with torch.random.fork_rng():
        torch.manual_seed(0)
        AutoModelForImageTextToText.from_config(config).save_pretrained(checkpoint)
    processor.save_pretrained(checkpoint)


def _pairs_per_type(metadata: Path) -> int:
    rows = [json.loads(line) for line in metadata.read_text().splitlines() if line.strip()]
    per_type = Counter(row["category"] for row in rows)
    return min(per_type.values()) // 2 if per_type else 0


def fresh_model(checkpoint: Path, seed: int, init_std: float) -> Any:
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText

    config = AutoConfig.from_pretrained(checkpoint)
    for sub in (config, config.text_config, config.vision_config):
        sub.initializer_range = init_std
    torch.manual_seed(seed)
    return AutoModelForImageTextToText.from_config(config)


def _messages(question: str, answer: str) -> dict[str, Any]:
    return {
        "prompt": [
            {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": question}]}
        ],
        "chosen": [{"role": "assistant", "content": [{"type": "text", "text": answer}]}],
    }


def benchmark_rows(folder: Path) -> list[dict[str, Any]]:
    with open(folder / "metadata.jsonl") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def pair_key(video_id: str) -> str:
    """The clip pair a video belongs to: a clip and its time reversal share it."""
    for suffix in _PAIR_SUFFIXES:
        if video_id.endswith(suffix):
            return video_id[: -len(suffix)]
    return video_id


def _cosine(optimizer: Any, steps: int) -> Any:
    from transformers import get_cosine_schedule_with_warmup

    return get_cosine_schedule_with_warmup(optimizer, min(10, steps // 10), steps)


def fit(model: Any, processor: Any, train_dir: Path, config: FitConfig, seed: int) -> list[float]:
    """Cross-entropy on the gold answer phrases of the train split, frames in true order; returns losses.

    Batches come from :class:`~timewarp_hf.collator.VideoPreferenceCollator` (the DPO collator, so the
    prompt is rendered and the video processed exactly as in training and evaluation); its ``[chosen;
    rejected]`` layout puts the prompt-plus-answer sequences in the first half of every tensor.
    """
    import torch

    from ..collator import SKIPPED_VIDEOS_KEY, VideoPreferenceCollator
    from ..generation.template_backend import _sentence, template_questions

    rows = []
    for row in benchmark_rows(train_dir):
        video = str(train_dir / row["file_name"])
        answers = [(row["question"], row["answer_text"])]
        captions = [s["caption"] if isinstance(s, dict) else s[2] for s in row["scenes"]]
        if config.fit_extra == "captions":
            answers.append((DESCRIBE, " ".join(_sentence(c) for c in captions)))
        elif config.fit_extra == "template_qa" and len(captions) > 1:
            answers += template_questions(captions, 3)
        for question, answer in answers:
            pair = _messages(question, answer)
            rows.append({**pair, "rejected": pair["chosen"], "video": video})
    collator = VideoPreferenceCollator(processor, on_decode_error="raise")
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.fit_lr)
    schedule = _cosine(optimizer, config.fit_steps)
    rng = random.Random(seed)
    order: list[int] = []
    losses = []
    model.train()
    for _ in range(config.fit_steps):
        while len(order) < config.batch_size:
            order += rng.sample(range(len(rows)), len(rows))
        batch = collator([rows[i] for i in order[: config.batch_size]])
        order = order[config.batch_size :]
        batch.pop(SKIPPED_VIDEOS_KEY)
        mask = batch.pop("completion_mask")
        half = {k: v[: v.shape[0] // 2] for k, v in batch.items()}
        mask = mask[: mask.shape[0] // 2, 1:].float()
        logits = model(**half).logits[:, :-1].float()
        targets = half["input_ids"][:, 1:]
        logprobs = torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        loss = -(logprobs * mask).sum() / mask.sum()
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


# ------------------------------------------------------------------------------------------------ pairs


def explicit_pairs(folder: Path, cache_dir: Path, num_questions: int = 9) -> Any:
    """The explicit recipe with the rule-based template backend on a benchmark split's scene captions,
    ``num_questions`` per clip; the template backend asks a clip and its reversal the same questions."""
    from datasets import load_dataset

    from .. import registration

    registration.register()
    return load_dataset(
        "timewarp",
        base=str(folder),
        recipe="explicit",
        generator="template",
        num_questions=num_questions,
        split="train",
        cache_dir=str(cache_dir),
    )


def captioner_pairs(
    recipe: str,
    model: Any,
    processor: Any,
    model_dir: Path,
    train_dir: Path,
    seed: int,
    warps: tuple[str, ...] = ("reverse",),
) -> tuple[list[dict[str, Any]], Counter]:
    """``warped`` or ``implicit`` pairs with the fitted model as captioner, through the builder's engine
    (:class:`~timewarp_hf.pipeline.PairPipeline`) with the loaded model, so nothing is loaded twice.

    The warped recipe draws its question from ``config.questions``; each clip must be asked its own
    benchmark question, so clips are run in groups that share one (the train split's questions; their
    gold answers are never read). Returns ``(rows, counters)``.
    """
    from ..config import TimeWarpConfig
    from ..generation.transformers_backend import TransformersBackend
    from ..pipeline import PairPipeline
    from ..sources import BaseExample

    backend = TransformersBackend(model, processor, batch_size=32, max_new_tokens=24, progress=False)
    by_question: dict[str, list[dict]] = defaultdict(list)
    for row in benchmark_rows(train_dir):
        by_question[row["question"] if recipe == "warped" else ""].append(row)
    rows, counters = [], Counter()
    for question, clips in sorted(by_question.items()):
        options: dict[str, Any] = {"warps": warps, "questions": (question,)} if question else {}
        config = TimeWarpConfig(
            name=f"miniature-{recipe}",
            recipe=recipe,
            captioner=str(model_dir),
            seed=seed,
            max_new_tokens=24,
            videos_per_chunk=64,
            **options,
        )
        pipeline = PairPipeline(config, str(train_dir), captioner=backend)
        examples = (
            BaseExample(row["video_id"], str(train_dir / row["file_name"]), {"scenes": row["scenes"]})
            for row in clips
        )
        rows += [
            {**record, "frame_indices": list(record["frame_indices"])} for record in pipeline.run(examples)
        ]
        counters += pipeline.counters
    return rows, counters


# ------------------------------------------------------------------------------------------- train, eval


def train_dpo(
    model: Any,
    processor: Any,
    pairs: Any,
    held_out: Any,
    config: FitConfig,
    seed: int,
    out: Path,
    shuffle: bool,
    **options: Any,
) -> dict[str, Any]:
    """``dpo_steps`` of TimeWarp DPO against a frozen copy of the starting model (batches grouped by clip
    pair unless ``config.group_batches`` is off); then the DPO reward accuracy on ``held_out`` pairs,
    frames in true order whatever the arm trained on. ``options`` are further ``TimeWarpDPOConfig``
    fields (e.g. a curriculum, with ``group_batches`` off)."""
    from transformers import AutoModelForImageTextToText, PrinterCallback

    from ..collator import VideoPreferenceCollator
    from ..trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer

    reference = AutoModelForImageTextToText.from_config(model.config).eval()
    reference.load_state_dict(model.state_dict())
    if config.group_batches:
        # A group is one question about a clip and about its time reversal (two rows with opposite
        # answers), so a batch holds several such twins: the answer-prior gradient cancels inside each,
        # and the batch still spans several clips (grouping a clip pair's every question would fill a
        # batch with one clip).
        questions = [prompt[0]["content"][-1]["text"] for prompt in pairs["prompt"]]
        twins = [f"{pair_key(v)}|{q}" for v, q in zip(pairs["video_id"], questions)]
        pairs = pairs.add_column("pair_id", twins)
    loss = {"loss_type": list(config.loss_type)}
    if config.loss_weights is not None:
        loss["loss_weights"] = list(config.loss_weights)
    args = TimeWarpDPOConfig(
        output_dir=str(out),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=2 * config.batch_size,
        max_steps=config.dpo_steps,
        learning_rate=config.dpo_lr,
        lr_scheduler_type="cosine",
        warmup_steps=min(10, config.dpo_steps // 10),
        beta=config.beta,
        **loss,
        group_batches_by="pair_id" if config.group_batches else None,
        shuffle_frames=shuffle,
        seed=seed,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        gradient_checkpointing=False,
        logging_steps=max(1, config.dpo_steps // 10),
        on_decode_error="raise",
        dataloader_pin_memory=False,  # CPU only
        **options,
    )
    trainer = TimeWarpDPOTrainer(
        model=model,
        ref_model=reference,
        args=args,
        train_dataset=pairs,
        processing_class=processor,
    )
    trainer.remove_callback(PrinterCallback)  # the summary below is what a run reports
    trainer.train()
    logs = [log for log in trainer.state.log_history if "rewards/accuracies" in log]
    trainer.data_collator = VideoPreferenceCollator(processor, on_decode_error="raise")
    held_out_metrics = trainer.evaluate(held_out)
    return {
        "train_reward_accuracy": logs[-1]["rewards/accuracies"],
        "held_out_explicit_reward_accuracy": held_out_metrics["eval_rewards/accuracies"],
    }


def evaluate(model: Any, processor: Any, test_dir: Path, folder: Path) -> dict[str, Any]:
    """``timewarp eval`` with likelihood scoring on the test split: accuracy per question type and the
    share of clip pairs whose both clips are answered right (a model blind to order rarely gets both)."""
    from ..evaluation import EvalArguments, run_eval

    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder / "model")
    processor.save_pretrained(folder / "model")
    scores = run_eval(
        EvalArguments(
            model=str(folder / "model"),
            benchmark=str(test_dir),
            scoring="likelihood",
            output=str(folder / "eval"),
            device="cpu",
            dtype="float32",
        )
    )
    shutil.rmtree(folder / "model")
    pairs: dict[str, list[bool]] = defaultdict(list)
    categories = {}
    with open(folder / "eval" / "predictions.jsonl") as handle:
        for line in handle:
            record = json.loads(line)
            pairs[record["group"]].append(bool(record["correct"]))
            categories[record["group"]] = record["category"]
    both = defaultdict(list)
    for group, verdicts in pairs.items():
        both[categories[group]].append(all(verdicts))
    return {
        "accuracy": scores["per_category"],
        "pair_accuracy": {c: sum(v) / len(v) for c, v in both.items()},
        "overall": scores["metrics"]["accuracy"],
        "questions": scores.get("scored"),
    }


def fitted_dir(config: FitConfig, seed: int) -> Path:
    """Where a seed's fitted base (and the pairs it captioned) lives: under ``base_cache``, keyed by
    everything the fitting and captioning depend on, so arms, runs and the CI test share one fitting."""
    if config.base_cache is None:
        return Path(config.output_dir) / "seeds" / str(seed) / "fitted"
    from .. import __version__

    fields = (
        "train_pairs_per_type",
        "fit_steps",
        "fit_lr",
        "batch_size",
        "init_std",
        "patch_size",
        "warps",
        "fit_extra",
    )
    key = json.dumps(
        [__version__, CACHE_FORMAT, _FAMILY, seed, *(getattr(config, f) for f in fields)], default=list
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(config.base_cache) / f"{_FAMILY}-seed{seed}-{digest}"


def fit_base(
    config: FitConfig, paths: dict[str, Path], seed: int, recipes: Sequence[str] = ()
) -> dict[str, Any]:
    """A seed's fitted base and the pairs it captions for ``recipes`` (``warped``, ``implicit``), made once
    (reused from :func:`fitted_dir` when there): returns what was learned about it (fitting loss, pair
    counts and examples). A file lock beside the folder makes processes that want the same base (the
    miniature's workers, parallel test workers, a quickstart) wait for one fitting instead of racing."""
    from filelock import FileLock

    target = fitted_dir(config, seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{target}.lock"):
        return _fit_base(config, paths, seed, recipes, target)


def _fit_base(
    config: FitConfig, paths: dict[str, Path], seed: int, recipes: Sequence[str], target: Path
) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, AutoProcessor

    info_path = target / "fit_info.json"
    info: dict[str, Any] = json.loads(info_path.read_text()) if info_path.is_file() else {}
    recipes = [r for r in recipes if r not in info.get("pairs", {})]
    if info and not recipes:
        return info
    processor = AutoProcessor.from_pretrained(paths["checkpoint"])
    if info:
        model = AutoModelForImageTextToText.from_pretrained(target / "model").eval()
    else:
        model = fresh_model(paths["checkpoint"], seed, config.init_std)
        losses = fit(model, processor, paths["train"], config, seed)
        model.eval()
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        model.save_pretrained(staging / "model")
        processor.save_pretrained(staging / "model")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        info = {"fit_loss_last_50": statistics.fmean(losses[-50:]), "pairs": {}, "built": {}}
    for recipe in recipes:
        rows, counters = captioner_pairs(
            recipe, model, processor, target / "model", paths["train"], seed, config.warps
        )
        Dataset.from_list(rows).save_to_disk(str(target / f"pairs-{recipe}"))
        info["pairs"][recipe] = len(rows)
        info["built"][recipe] = dict(counters)
        info[f"{recipe}_examples"] = [
            {
                "video_id": r["video_id"],
                "chosen": r["chosen"][0]["content"][0]["text"],
                "rejected": r["rejected"][0]["content"][0]["text"],
            }
            for r in rows[:: max(1, len(rows) // 4)]
        ]
    info_path.write_text(json.dumps(info, indent=2))
    return info


def temporal_mean(accuracy: dict[str, float]) -> float:
    """The mean accuracy over the order-dependent question types: the number TimeWarp should raise."""
    return statistics.fmean(accuracy[t] for t in ORDER_DEPENDENT_TYPES)


def default_base_cache() -> Path:
    """Where fitted bases are kept between runs: ``$TIMEWARP_MINIATURE_CACHE``, else
    ``~/.cache/timewarp-hf/miniature`` (the CI miniature run, the demo and the tests share it)."""
    folder = os.environ.get("TIMEWARP_MINIATURE_CACHE")
    return Path(folder) if folder else Path.home() / ".cache" / "timewarp-hf" / "miniature"
