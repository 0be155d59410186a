"""The paper's claim in miniature: on a benchmark whose answers depend only on time, does TimeWarp DPO make
a Video-LLM read temporal order, where the order-blind and appearance-only controls do not?

Everything runs on a CPU in minutes (``scripts/reproduce_miniature.py``; ``tests/test_miniature.py`` runs
the ``--quick`` variant in CI). The pieces, and why each is the way it is:

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

import hashlib
import json
import math
import multiprocessing
import os
import random
import shutil
import statistics
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ARMS",
    "CONTROL_ARMS",
    "ORDER_TYPES",
    "PAIR_FILE",
    "QUICKSTART_PAIR",
    "TIMEWARP_ARMS",
    "MiniatureConfig",
    "answer_accuracy",
    "base_and_timewarp",
    "check_ranking",
    "default_base_cache",
    "fit_base",
    "fitted_dir",
    "fitted_pair",
    "format_gain",
    "format_table",
    "install_pair",
    "load_pair",
    "pair_key",
    "plot",
    "run_miniature",
    "summarize",
]

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
ORDER_TYPES = ("direction", "event_order", "next_event", "playback", "speed_change")
COLUMNS = (*ORDER_TYPES, "temporal", "temporal_pairs", "repetitions", "appearance", "explicit_held_out")
COLUMN_LABELS = {
    "temporal": "temporal (mean)",
    "temporal_pairs": "temporal pairs",
    "explicit_held_out": "held-out explicit pairs",
}
_FAMILY = "qwen2_vl"
# Bumped whenever the cached train split or fitted bases would differ for the same settings.
_CACHE_FORMAT = 2
# The validation split: the test split's distribution (layout, square colours) from another seed.
VALIDATION_SEED = 24680
DESCRIBE = "Describe what happens in the video, in order."
_PAIR_SUFFIXES = ("-fwd", "-rev")


@dataclass(frozen=True)
class MiniatureConfig:
    """What one reproduction runs; :meth:`quick` is the CI variant.

    Args:
        output_dir: Where data, models, pairs, evaluations and the results go.
        seeds: One fitted model and one run of every arm per seed.
        train_pairs_per_type, test_pairs_per_type: Clip pairs per question type in each split.
        fit_steps, fit_lr: The cross-entropy fitting that gives every arm its starting model.
        dpo_steps, dpo_lr, beta: The DPO budget of every arm (the same for all).
        batch_size: Rows per step, for fitting and DPO.
        init_std: ``initializer_range`` of the re-initialised tiny model.
        workers: Processes running seeds and arms side by side (one torch thread each).
        arms: Which of :data:`ARMS` to run.
        warps: The warped recipe's warps (``reverse``: the benchmark's own pairs are exact reversals).
        held_out_pairs: Explicit pairs from the evaluation split's captions on which every trained arm's
            DPO reward accuracy is measured: did it learn to read order in the format it was trained on?
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
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    train_pairs_per_type: int = 32
    test_pairs_per_type: int = 16
    fit_steps: int = 300
    fit_lr: float = 1e-3
    dpo_steps: int = 300
    dpo_lr: float = 1e-3
    beta: float = 0.1
    batch_size: int = 8
    init_std: float = 0.1
    workers: int = 2
    arms: tuple[str, ...] = ARMS
    warps: tuple[str, ...] = ("reverse",)
    held_out_pairs: int = 256
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
        unknown = set(self.arms) - set(ARMS)
        if unknown:
            raise ValueError(f"unknown arms {sorted(unknown)}; accepted: {', '.join(ARMS)}")

    @classmethod
    def quick(cls, output_dir: Path, **overrides: Any) -> MiniatureConfig:
        """The CI run: three seeds, half the DPO budget, and only the arms the predicted ranking compares
        (both TimeWarp arms, the base and both order-blind controls; the appearance-only control is the
        full run's)."""
        options = {"seeds": (0, 1, 2), "dpo_steps": 150, "arms": ("base", *TIMEWARP_ARMS, *CONTROL_ARMS[1:])}
        return cls(output_dir=output_dir, **{**options, **overrides})


# ----------------------------------------------------------------------------------------- model and data


def _prepare(config: MiniatureConfig) -> dict[str, Path]:
    """The tiny checkpoint and both benchmark splits, made once per output folder; with a ``base_cache``
    the checkpoint and the train split live there, beside the fitted bases and pairs that refer to them."""
    from .testing import make_temporal_benchmark, make_tiny_vlm

    out = Path(config.output_dir)
    shared = Path(config.base_cache) if config.base_cache is not None else out
    paths = {
        "checkpoint": shared / f"tiny-{_FAMILY}",
        "train": shared / "data" / f"train-{config.train_pairs_per_type}-v{_CACHE_FORMAT}",
        "eval": out / "data" / config.eval_split,
    }
    if not (paths["checkpoint"] / "config.json").is_file():
        make_tiny_vlm(paths["checkpoint"], _FAMILY)
    for key, count in (("train", config.train_pairs_per_type), ("eval", config.test_pairs_per_type)):
        marker = paths[key] / "metadata.jsonl"
        if not marker.is_file() or _pairs_per_type(marker) != count:
            shutil.rmtree(paths[key], ignore_errors=True)
            split = "train" if key == "train" else "test"
            seed = VALIDATION_SEED if config.eval_split == "validation" and key == "eval" else None
            make_temporal_benchmark(paths[key], split, pairs_per_type=count, seed=seed)
    return paths


def _pairs_per_type(metadata: Path) -> int:
    rows = [json.loads(line) for line in metadata.read_text().splitlines() if line.strip()]
    per_type = Counter(row["category"] for row in rows)
    return min(per_type.values()) // 2 if per_type else 0


def _fresh_model(checkpoint: Path, seed: int, init_std: float) -> Any:
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


def _benchmark_rows(folder: Path) -> list[dict[str, Any]]:
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


def fit(model: Any, processor: Any, train_dir: Path, config: MiniatureConfig, seed: int) -> list[float]:
    """Cross-entropy on the gold answer phrases of the train split, frames in true order; returns losses.

    Batches come from :class:`~timewarp_hf.collator.VideoPreferenceCollator` (the DPO collator, so the
    prompt is rendered and the video processed exactly as in training and evaluation); its ``[chosen;
    rejected]`` layout puts the prompt-plus-answer sequences in the first half of every tensor.
    """
    import torch

    from .collator import SKIPPED_VIDEOS_KEY, VideoPreferenceCollator
    from .generation.template_backend import _sentence, template_questions

    rows = []
    for row in _benchmark_rows(train_dir):
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

    from . import registration

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
    from .config import TimewarpConfig
    from .generation.transformers_backend import TransformersBackend
    from .pipeline import PairPipeline
    from .sources import BaseExample

    backend = TransformersBackend(model, processor, batch_size=32, max_new_tokens=24, progress=False)
    by_question: dict[str, list[dict]] = defaultdict(list)
    for row in _benchmark_rows(train_dir):
        by_question[row["question"] if recipe == "warped" else ""].append(row)
    rows, counters = [], Counter()
    for question, clips in sorted(by_question.items()):
        options: dict[str, Any] = {"warps": warps, "questions": (question,)} if question else {}
        config = TimewarpConfig(
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
    config: MiniatureConfig,
    seed: int,
    out: Path,
    shuffle: bool,
) -> dict[str, Any]:
    """``dpo_steps`` of TimeWarp DPO against a frozen copy of the starting model (batches grouped by clip
    pair unless ``config.group_batches`` is off); then the DPO reward accuracy on ``held_out`` pairs,
    frames in true order whatever the arm trained on."""
    from transformers import AutoModelForImageTextToText, PrinterCallback

    from .collator import VideoPreferenceCollator
    from .trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer

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
    from .evaluation import EvalArguments, run_eval

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


# ---------------------------------------------------------------------------------------- the two phases


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


def fitted_dir(config: MiniatureConfig, seed: int) -> Path:
    """Where a seed's fitted base (and the pairs it captioned) lives: under ``base_cache``, keyed by
    everything the fitting and captioning depend on, so arms, runs and the CI test share one fitting."""
    if config.base_cache is None:
        return Path(config.output_dir) / "seeds" / str(seed) / "fitted"
    from . import __version__

    fields = ("train_pairs_per_type", "fit_steps", "fit_lr", "batch_size", "init_std", "warps", "fit_extra")
    key = json.dumps(
        [__version__, _CACHE_FORMAT, _FAMILY, seed, *(getattr(config, f) for f in fields)], default=list
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(config.base_cache) / f"{_FAMILY}-seed{seed}-{digest}"


def _captioned_recipes(config: MiniatureConfig) -> list[str]:
    return sorted({ARM_PAIRS[arm][0] for arm in config.arms if arm != "base"} - {"explicit"})


def fit_base(config: MiniatureConfig, paths: dict[str, Path], seed: int) -> dict[str, Any]:
    """A seed's fitted base and its captioned pairs, made once (reused from :func:`fitted_dir` when there):
    returns what was learned about it (fitting loss, pair counts and examples)."""
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, AutoProcessor

    target = fitted_dir(config, seed)
    info_path = target / "fit_info.json"
    info: dict[str, Any] = json.loads(info_path.read_text()) if info_path.is_file() else {}
    recipes = [r for r in _captioned_recipes(config) if r not in info.get("pairs", {})]
    if info and not recipes:
        return info
    processor = AutoProcessor.from_pretrained(paths["checkpoint"])
    if info:
        model = AutoModelForImageTextToText.from_pretrained(target / "model").eval()
    else:
        model = _fresh_model(paths["checkpoint"], seed, config.init_std)
        losses = fit(model, processor, paths["train"], config, seed)
        model.eval()
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        model.save_pretrained(staging / "model")
        processor.save_pretrained(staging / "model")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
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


def _fit_seed(config: MiniatureConfig, paths: dict[str, Path], seed: int) -> dict[str, Any]:
    """Phase 1 of a seed: fit the model (or reuse the cached fitting), score it (the ``base`` arm) and let
    it caption the model-made pairs."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    start = time.time()
    info = fit_base(config, paths, seed)
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
    paths = _prepare(config)
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
                f"seed {result['seed']} {result['arm']}: temporal {_temporal(result['accuracy']):.3f} "
                f"({result['seconds']:.0f} s)"
            )
            runs.append(result)
    summary = summarize(runs)
    summary.update(
        config={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        seconds=time.time() - start,
        ranking=check_ranking(summary),
        runs=runs,
    )
    (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "results.md").write_text(format_table(summary) + "\n")
    plot(summary, out / "results.png")
    return summary


# -------------------------------------------------------------------------------------------- reporting


def _temporal(accuracy: dict[str, float]) -> float:
    return statistics.fmean(accuracy[t] for t in ORDER_TYPES)


def _cells(run: dict[str, Any]) -> dict[str, float]:
    cells = {t: run["accuracy"][t] for t in (*ORDER_TYPES, "repetitions", "appearance")}
    cells["temporal"] = _temporal(run["accuracy"])
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


def machine() -> str:
    """This machine in the README's words, e.g. ``2-core CPU, no GPU``."""
    import torch

    return f"{os.cpu_count()}-core CPU, " + ("CUDA GPU" if torch.cuda.is_available() else "no GPU")


def describe_run(summary: dict[str, Any]) -> str:
    """One line saying what was run, for how long and on which machine (the README states it)."""
    config = summary["config"]
    seeds = ", ".join(str(s) for s in config["seeds"])
    return (
        f"Seeds {seeds}; {config['fit_steps']} fitting steps, {config['dpo_steps']} DPO steps per arm, loss "
        f"{' + '.join(config['loss_type'])}"
        + (
            f" (weights {', '.join(f'{w:g}' for w in config['loss_weights'])})"
            if config["loss_weights"]
            else ""
        )
        + f"; scored on the {config['eval_split']} split; {summary['seconds']:.0f} s on a {machine()}."
    )


def write_readme_block(readme: Path, markers: tuple[str, str], block: str) -> None:
    """Replace what lies between the ``markers`` comment lines of ``readme`` with ``block``."""
    readme = Path(readme)
    text = readme.read_text()
    start, end = markers
    if start not in text or end not in text:
        raise ValueError(f"{readme} has no {start} ... {end} block to fill")
    head, rest = text.split(start, 1)
    readme.write_text(f"{head}{start}\n{block}\n{end}{rest.split(end, 1)[1]}")


def write_readme_table(readme: Path, summary: dict[str, Any], plot_path: Path) -> None:
    """Put the run's table (and its one-line description) between :data:`README_MARKERS` in ``readme``
    and copy its plot to ``docs/miniature_results.png`` beside it, so the README's numbers are the
    script's, never typed."""
    readme = Path(readme)
    write_readme_block(readme, README_MARKERS, f"{describe_run(summary)}\n\n{format_table(summary)}")
    docs = readme.parent / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copyfile(plot_path, docs / "miniature_results.png")


# ------------------------------------------------------------------------------- one base/TimeWarp pair

# The quickstart's pair (what ``timewarp quickstart`` shows and ``timewarp demo`` serves by default): the
# settings of :func:`base_and_timewarp`, chosen with ``scripts/reproduce_miniature.py --gain --validation
# --seeds 21 22`` (seeds no test uses). Mean gain on the order-dependent types (likelihood), validation:
# sigmoid DPO at lr 1e-3 +0.062, and its DPO-trained copy writes gibberish (2% of free answers are an
# option); + SFT (weights 1, 0.5 / 1 / 2) +0.087 / +0.081 / +0.087, 24-28% valid answers; + lr 3e-4 (SFT
# weight 1 / 2) +0.087 / +0.087, 57% / 58% valid; lr 1e-4 +0.069; beta 0.5 +0.062; 600 DPO steps +0.087,
# 35% valid; 600 fitting steps: a better base (0.67 vs 0.54) and a smaller gain (+0.031); with weight 2 and
# lr 3e-4, warps reverse + scene_shuffle + local_shuffle +0.050, 64 train clip pairs per type +0.050.
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


def default_base_cache() -> Path:
    """Where fitted bases are kept between runs: ``$TIMEWARP_MINIATURE_CACHE``, else
    ``~/.cache/timewarp-hf/miniature`` (the CI miniature run, the demo and the tests share it)."""
    folder = os.environ.get("TIMEWARP_MINIATURE_CACHE")
    return Path(folder) if folder else Path.home() / ".cache" / "timewarp-hf" / "miniature"


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
    config = MiniatureConfig(
        output_dir=out,
        seeds=(seed,),
        test_pairs_per_type=test_pairs_per_type,
        arms=("base", recipe),
        base_cache=base_cache,
        **overrides,
    )
    paths = _prepare(config)
    log(f"fitting the tiny base on the synthetic train split (seed {seed})")
    fit_base(config, paths, seed)
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
        "format": _CACHE_FORMAT,
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

    from .testing.temporal_benchmark import write_lossless_video

    samples = []
    for row in _benchmark_rows(eval_dir):
        if row["category"] in ORDER_TYPES and row["file_name"].split("-")[1] == _SAMPLE_INDEX:
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
    if record.get("format") != _CACHE_FORMAT or not complete:
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
    found = load_pair(folder, QUICKSTART_PAIR)
    if found is not None:
        return found
    shutil.rmtree(folder, ignore_errors=True)  # nothing from another pair (models, cached answers) stays
    base_and_timewarp(Path(folder), base_cache=base_cache or default_base_cache(), log=log, **QUICKSTART_PAIR)
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


def answer_accuracy(folder: Path, eval_dir: Path) -> dict[str, dict[str, float]]:
    """What the demo shows, measured: the pair in ``folder`` answers every clip of ``eval_dir`` in free
    text through the demo's own engine (greedy, all 8 frames); per model, the share of exact answers on
    the order-dependent types (mean over types) and the share of answers that are one of the options."""
    from .demo import TimeWarpDemo

    folder = Path(folder)
    engine = TimeWarpDemo(str(folder / "base"), str(folder / "timewarp"), cache_dir=folder / "answers")
    right: dict[tuple[str, str], list[bool]] = defaultdict(list)
    valid: dict[str, list[bool]] = defaultdict(list)
    for row in _benchmark_rows(Path(eval_dir)):
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


def format_gain(result: dict[str, Any]) -> str:
    """Base vs TimeWarp per question type, with the mean over the order-dependent types."""
    base, tuned = result["base"]["accuracy"], result["timewarp"]["accuracy"]
    lines = ["| question type | base | TimeWarp | gain |", "|---|---:|---:|---:|"]
    for kind in (*ORDER_TYPES, "repetitions", "appearance"):
        if kind in base:
            lines.append(
                f"| {kind} | {base[kind]:.3f} | {tuned[kind]:.3f} | {tuned[kind] - base[kind]:+.3f} |"
            )
    b, t = _temporal(base), _temporal(tuned)
    lines.append(f"| **order-dependent (mean)** | {b:.3f} | {t:.3f} | **{t - b:+.3f}** |")
    return "\n".join(lines)
