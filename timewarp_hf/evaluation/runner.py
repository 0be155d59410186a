"""``timewarp eval``: score a Video-LLM (optionally with a TimeWarp LoRA adapter) on one benchmark.

The run samples frames exactly as training does (``num_frames`` / ``fps`` / ``max_frames`` through
:func:`timewarp_hf.video.sample_frames`, shown at the clip's presentation rate), asks the model each
question in the benchmark's own prompt format (``--scoring generate``) or compares the likelihood of the
option texts (``--scoring likelihood``), and scores with the package's metrics under the benchmark's rule.

Everything lands in the output folder, so a run can stop at any point and go on later:

* ``predictions.jsonl``: one line per question answered, appended and flushed batch by batch; a re-run
  skips every id already there (a video that failed to decode is tried again). At the end the file is
  rewritten in benchmark order with what the metric read from each answer (``extracted``, ``correct``).
* ``eval_config.json``: what the predictions depend on (model, adapter, benchmark, frames, scoring); a
  re-run into the same folder with other settings is refused instead of mixing two runs.
* ``scores.json``: the metric's results, per category, what was skipped and why, and the ``model_index``
  entries that :func:`timewarp_hf.evaluation.compare_scores` and the model card use.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from ..constants import READING_MODES
from .adapters import BenchmarkAdapter, EvalExample, LoadedBenchmark, load_examples, resolve_benchmark
from .probes import PROBES, Answerer, complete_pairs, score_probe, with_probe

if TYPE_CHECKING:
    from ..video import Frames, VideoDecodeError

__all__ = [
    "SCORINGS",
    "EvalArguments",
    "PROBES",
    "load_model",
    "run_eval",
]

logger = logging.getLogger(__name__)

SCORINGS = ("generate", "likelihood")
PREDICTIONS, SCORES, CONFIG = "predictions.jsonl", "scores.json", "eval_config.json"
# What the predictions depend on: a re-run into the same folder must agree on these.
_IDENTITY = (
    "model",
    "adapter",
    "benchmark",
    "data",
    "subsets",
    "split",
    "video_dir",
    "num_frames",
    "fps",
    "max_frames",
    "scoring",
    "max_new_tokens",
    "probe",
)
# Each metric's headline numbers: the ones a model card reports.
_HEADLINE = {
    "temporal_mcq": ("accuracy", "group_accuracy"),
    "vinoground": ("text_score", "video_score", "group_score"),
}


@dataclass
class EvalArguments:
    """Arguments of :func:`run_eval` (and of ``timewarp eval``, flag for flag: the command line is made
    from these fields and their descriptions here).

    Args:
        model: Local path or Hub id of a Video-LLM (``AutoModelForImageTextToText`` with a video processor).
        benchmark: A benchmark name (see :data:`~timewarp_hf.evaluation.ADAPTERS`), its Hub id, or the folder
            of a saved TimeWarp MCQ / synthetic temporal benchmark.
        adapter: A PEFT adapter folder (what TimeWarp training saves), merged into the model.
        data: Where to load the benchmark from instead of its Hub id: a local copy in the same layout.
        subsets: MVBench / TVBench subtasks to run (default: all the source has).
        split: Overrides the benchmark's split.
        video_dir: Folder with the benchmark's unpacked videos (default: next to a local copy, else where
            lmms-eval unpacks them, ``$HF_HOME/<benchmark folder>``).
        limit: Score only the first ``limit`` questions.
        output: Output folder (default ``outputs/eval/<model>/<benchmark>``).
        num_frames, fps, max_frames: Frame sampling, as in training (``fps`` takes precedence).
        batch_size: Questions decoded and generated per batch.
        max_new_tokens: Answer length (default: the benchmark's, as lmms-eval sets it).
        mode: Answer reading: ``corrected`` or ``reference`` (lmms-eval's rule, flaws included).
        scoring: ``generate`` (read the answer from free text) or ``likelihood`` (most probable option).
        device: Where the model runs (default: ``cuda`` when available, else ``cpu``).
        dtype: ``from_pretrained`` dtype (``auto`` keeps the checkpoint's).
        probe: One of :data:`PROBES`: also answer every question on frames warped that way, and report
            accuracy on true vs probed frames, the drop and the flip rate (``temporal_sensitivity``).
    """

    model: str
    benchmark: str
    adapter: str | None = None
    data: str | None = None
    subsets: list[str] | None = field(default=None, metadata={"aliases": ["--subset"]})
    split: str | None = None
    video_dir: str | None = None
    limit: int | None = None
    output: str | None = None
    num_frames: int = 8
    fps: float | None = None
    max_frames: int | None = None
    batch_size: int = 8
    max_new_tokens: int | None = None
    mode: str = field(default="corrected", metadata={"choices": READING_MODES})
    scoring: str = field(default="generate", metadata={"choices": SCORINGS})
    device: str | None = None
    dtype: str = "auto"
    probe: str | None = field(default=None, metadata={"choices": PROBES})

    def __post_init__(self) -> None:
        from ..metrics import MODES

        if self.probe is not None and self.probe not in PROBES:
            raise ValueError(f"Unknown probe {self.probe!r}; accepted: {', '.join(PROBES)}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"Unknown scoring {self.scoring!r}; accepted: {', '.join(SCORINGS)}")
        if self.mode not in MODES:
            raise ValueError(f"Unknown mode {self.mode!r}; accepted: {', '.join(MODES)}")
        for name in ("limit", "batch_size", "max_new_tokens"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if self.num_frames < 2 or (self.max_frames is not None and self.max_frames < 2):
            raise ValueError(
                "num_frames and max_frames must be >= 2: a clip needs two frames to have an order"
            )
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.adapter is not None and not (Path(self.adapter) / "adapter_config.json").is_file():
            raise ValueError(
                f"--adapter {self.adapter}: no PEFT adapter there (adapter_config.json is missing)"
            )


def load_model(
    model_id: str, adapter: str | None = None, *, device: str | None = None, dtype: str = "auto"
) -> tuple[Any, Any]:
    """``(model, processor)`` for a Video-LLM, with a PEFT adapter merged in when given.

    The adapter is merged (``merge_and_unload``) so generation and likelihood scoring run the plain
    model's code at the plain model's speed.
    """
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    config = AutoConfig.from_pretrained(model_id)
    if config.model_type not in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
        raise ValueError(
            f"{model_id} is a {config.model_type!r} model, not a Video-LLM (AutoModelForImageTextToText)"
        )
    processor = AutoProcessor.from_pretrained(model_id)
    if getattr(processor, "video_processor", None) is None:
        raise ValueError(f"{model_id}'s processor has no video processor; it cannot be shown a video")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    # Loaded straight onto the device: a 7B checkpoint never sits in CPU memory first.
    model = AutoModelForImageTextToText.from_pretrained(model_id, dtype=dtype, device_map={"": device})
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    return model.eval(), processor


# -------------------------------------------------------------------------------------------------- records


def _read_records(path: Path) -> dict[str, dict[str, Any]]:
    """The latest record per id. A last line cut short by a kill is dropped from the file, so appending
    after it cannot glue two records together."""
    records: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return records
    data = path.read_bytes()
    good = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            break
        records[record["id"]] = record
        good += len(line)
    if good < len(data):
        logger.warning("%s: dropping an incomplete last line (the previous run was interrupted)", path)
        with open(path, "r+b") as handle:
            handle.truncate(good)
    return records


def _record(example: EvalExample, scoring: str, prompt: str, **result: Any) -> dict[str, Any]:
    record = {
        "id": example.id,
        "video_id": example.video_id,
        "category": example.category,
        "question": example.question,
        "options": example.options,
        "answer": example.answer,
        "prompt": prompt,
        "scoring": scoring,
        **({"group": example.group} if example.group else {}),
        **({"question_type": example.question_type} if example.question_type else {}),
        **(
            {"window": [example.start, example.end]}
            if example.start is not None or example.end is not None
            else {}
        ),
    }
    record.update(result)
    return record


def _check_config(folder: Path, identity: dict[str, Any]) -> None:
    path = folder / CONFIG
    if path.is_file():
        previous = json.loads(path.read_text())
        differs = {k: (previous.get(k), v) for k, v in identity.items() if previous.get(k) != v}
        if differs:
            changes = "; ".join(f"{k}: {old!r} then, {new!r} now" for k, (old, new) in differs.items())
            raise ValueError(
                f"{folder} holds predictions of another run ({changes}); use another --output or delete it"
            )
    else:
        path.write_text(json.dumps(identity, indent=2) + "\n")


# ------------------------------------------------------------------------------------------------ answering


def _generate_answerer(
    model: Any, processor: Any, args: EvalArguments, adapter: BenchmarkAdapter
) -> Answerer:
    from ..generation import GenerationRequest
    from ..generation.transformers_backend import TransformersBackend
    from ..recipes.base import video_messages

    max_new_tokens = args.max_new_tokens or adapter.max_new_tokens
    backend = TransformersBackend(
        model, processor, batch_size=args.batch_size, max_new_tokens=max_new_tokens, progress=False
    )

    def answer(examples: list[EvalExample], clips: list[Frames]) -> list[dict[str, Any]]:
        requests = [
            GenerationRequest(messages=video_messages(e.prompt), frames=c.data, fps=c.presentation_fps)
            for e, c in zip(examples, clips)
        ]
        texts = backend.generate(requests)
        return [_record(e, "generate", e.prompt, prediction=t) for e, t in zip(examples, texts)]

    return answer


def _likelihood_answerer(model: Any, processor: Any, adapter: BenchmarkAdapter) -> Answerer:
    from ..recipes.base import video_messages
    from .likelihood import LikelihoodScorer

    scorer = LikelihoodScorer(model, processor)

    def answer(examples: list[EvalExample], clips: list[Frames]) -> list[dict[str, Any]]:
        records = []
        for example, clip in zip(examples, clips):
            prompt, continuations, labels = adapter.likelihood_inputs(example)
            scores = scorer.score(video_messages(prompt), clip.data, clip.presentation_fps, continuations)
            best = max(range(len(scores)), key=lambda k: (scores[k], -k))  # ties: the first option
            records.append(
                _record(example, "likelihood", prompt, prediction=labels[best], option_logprobs=scores)
            )
        return records

    return answer


def _decoded_batches(
    examples: list[EvalExample], args: EvalArguments
) -> Iterator[tuple[list[EvalExample], list[Frames | VideoDecodeError]]]:
    """Batches of examples with their frames (or the decode error), the next batch decoding in a thread
    while the model answers this one."""
    from ..video import VideoDecodeError, sample_frames

    def decode(batch: list[EvalExample]) -> list[Frames | VideoDecodeError]:
        clips: list[Frames | VideoDecodeError] = []
        for example in batch:
            try:
                clips.append(
                    sample_frames(
                        example.video,
                        num_frames=args.num_frames,
                        fps=args.fps,
                        max_frames=args.max_frames,
                        start=example.start or 0.0,
                        end=example.end,
                    )
                )
            except VideoDecodeError as exc:
                clips.append(exc)
        return clips

    batches = [examples[i : i + args.batch_size] for i in range(0, len(examples), args.batch_size)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(decode, batches[0])
        for k, batch in enumerate(batches):
            clips = upcoming.result()
            if k + 1 < len(batches):
                upcoming = pool.submit(decode, batches[k + 1])
            yield batch, clips


def _explained(example: EvalExample, error: VideoDecodeError, hints: dict[str, str]) -> str:
    """The decode error, with what to do about it when the video is missing (its subtask's hint)."""
    hint = hints.get(example.category) if error.kind == "missing" else None
    return f"{error} ({hint})" if hint else str(error)


def _answer_all(
    pending: list[EvalExample],
    args: EvalArguments,
    adapter: BenchmarkAdapter,
    path: Path,
    done: int,
    hints: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Answer ``pending`` batch by batch, appending each batch's records to ``path`` as soon as it ends."""
    from ..video import VideoDecodeError

    model, processor = load_model(args.model, args.adapter, device=args.device, dtype=args.dtype)
    if args.scoring == "generate":
        answer = _generate_answerer(model, processor, args, adapter)
    else:
        answer = _likelihood_answerer(model, processor, adapter)
    total = done + len(pending)
    with (
        open(path, "a") as handle,
        tqdm(total=total, initial=done, desc=adapter.name, unit="question") as bar,
    ):
        for batch, clips in _decoded_batches(pending, args):
            readable = [(e, c) for e, c in zip(batch, clips) if not isinstance(c, VideoDecodeError)]
            records = answer([e for e, _ in readable], [c for _, c in readable]) if readable else []
            if args.probe and readable:
                records = with_probe(records, readable, args.probe, answer)
            records += [
                _record(e, args.scoring, e.prompt, error=_explained(e, c, hints or {}), error_kind=c.kind)
                for e, c in zip(batch, clips)
                if isinstance(c, VideoDecodeError)
            ]
            for record in records:
                handle.write(json.dumps(record) + "\n")
            handle.flush()
            bar.update(len(batch))
            yield from records


# -------------------------------------------------------------------------------------------------- scoring


def _load_metric(adapter: type[BenchmarkAdapter], mode: str):
    from ..metrics import load_metric

    if adapter.metric == "vinoground":
        return load_metric("vinoground", mode=mode, keep_in_memory=True)
    return load_metric("temporal_mcq", benchmark=adapter.rule, mode=mode, keep_in_memory=True)


def _score(
    metric: Any, adapter: BenchmarkAdapter, answered: list[tuple[EvalExample, dict]]
) -> dict[str, Any]:
    """The metric's results on the answered questions; writes ``extracted``/``correct`` into the records."""
    examples = [e for e, _ in answered]
    records = {e.id: r for e, r in answered}
    extra: dict[str, Any] = {}
    if adapter.metric == "vinoground":
        examples, extra["incomplete_pairs"] = complete_pairs(examples)
    if not examples:
        return {**extra, "scored": 0, "metrics": {}, "per_category": {}, "category_counts": {}}
    columns: dict[str, list] = {
        "predictions": [records[e.id]["prediction"] for e in examples],
        "references": [e.answer for e in examples],
        "options": [e.options for e in examples],
        "categories": [e.category for e in examples],
    }
    if adapter.metric == "vinoground":
        columns["pair_ids"] = [e.group for e in examples]
        columns["question_types"] = [e.question_type for e in examples]
    elif any(e.group for e in examples):
        columns["groups"] = [e.group for e in examples]
    result = metric.compute(**columns)
    for example, extracted in zip(examples, result.pop("extracted")):
        records[example.id].update(extracted=extracted, correct=extracted == example.answer)
    per_category = result.pop("per_category")
    counts = Counter(c for e in examples for c in e.category.split(";") if c)
    return {
        **extra,
        "scored": len(examples),
        "metrics": result,
        "per_category": per_category,
        "category_counts": {c: counts[c] for c in per_category},
    }


def _model_index(
    adapter: BenchmarkAdapter, metrics: dict[str, Any], scoring: str, probe: str | None = None
) -> dict[str, dict]:
    """The headline numbers, in percent, as ``{benchmark: {metric: value}}`` for ``model-index``; scores
    read from likelihoods say so in the metric name, since they are not comparable with generated ones."""
    suffix = "_likelihood" if scoring == "likelihood" else ""
    # The probe's numbers (``reverse_accuracy``, ``reverse_drop``, ``reverse_flip_rate``) go with them.
    probed = [n for n in metrics if probe and n.startswith(f"{probe}_")]
    values = {
        f"{adapter.card_prefix}{name}{suffix}": round(100 * metrics[name], 2)
        for name in (*_HEADLINE[adapter.metric], *probed)
        if metrics.get(name) is not None
    }
    return {adapter.card_name: values} if values else {}


def _dataset_record(
    adapter: BenchmarkAdapter, source: str, loaded: LoadedBenchmark, args: EvalArguments
) -> dict[str, Any]:
    """Which version of the benchmark was scored: its Hub id, config, split, commit and row count."""
    from .provenance import dataset_revision

    requested = None if os.path.isdir(source) else adapter.hub_kwargs.get("revision")
    return {
        "id": adapter.hub_id,
        "source": source,
        "config": ",".join(args.subsets) if args.subsets else adapter.config,
        "split": args.split or adapter.split,
        "requested_revision": requested,
        "revision": dataset_revision(source, requested),
        "rows": loaded.rows,
    }


def _default_output(args: EvalArguments, adapter: type[BenchmarkAdapter]) -> Path:
    def slug(text: str) -> str:
        return re.sub(r"[^\w.-]+", "-", os.path.normpath(text).strip("./")).strip("-") or "model"

    model = slug(Path(args.model).name if os.path.exists(args.model) else args.model)
    if args.adapter is not None:
        model += "+" + slug(Path(args.adapter).name)
    return Path("outputs") / "eval" / model / adapter.name


def run_eval(args: EvalArguments) -> dict[str, Any]:
    """Run (or resume) one evaluation and return its scores (also written to ``<output>/scores.json``).

    Bad arguments fail before the model loads; a video that cannot be decoded is counted in
    ``failed_videos`` (and retried by the next run), never fatal.
    """
    adapter_class, source = resolve_benchmark(args.benchmark, args.data)
    metric = _load_metric(adapter_class, args.mode)  # an unsupported mode fails here, before any work
    loaded: LoadedBenchmark = load_examples(
        adapter_class, source, subsets=args.subsets, split=args.split, video_dir=args.video_dir
    )
    adapter = loaded.adapter
    examples = loaded.examples[: args.limit] if args.limit else loaded.examples
    folder = Path(args.output) if args.output else _default_output(args, adapter_class)
    folder.mkdir(parents=True, exist_ok=True)
    identity = {**{k: getattr(args, k) for k in _IDENTITY}, "benchmark": adapter.name, "data": source}
    identity["video_dir"] = str(loaded.video_root) if loaded.video_root else None
    identity["max_new_tokens"] = (
        (args.max_new_tokens or adapter.max_new_tokens) if args.scoring == "generate" else None
    )
    _check_config(folder, identity)

    records = _read_records(folder / PREDICTIONS)
    for record in records.values():  # verdicts are re-read below, under this run's rule and mode
        for verdict in ("extracted", "correct", "probe_extracted", "probe_correct"):
            record.pop(verdict, None)

    def complete(record: dict[str, Any]) -> bool:
        if "prediction" not in record:
            return False
        return not args.probe or "probe_prediction" in record or "probe_error" in record

    pending = [e for e in examples if not complete(records.get(e.id, {}))]
    if pending:
        done = len(examples) - len(pending)
        hints = loaded.missing_video_hints
        for record in _answer_all(pending, args, adapter, folder / PREDICTIONS, done, hints):
            records[record["id"]] = record
    answered = [(e, records[e.id]) for e in examples if "prediction" in records[e.id]]
    failed = Counter(records[e.id]["error_kind"] for e in examples if "prediction" not in records[e.id])
    scored = _score(metric, adapter, answered)
    if args.probe:
        probe = score_probe(metric, adapter, answered, args.probe)
        scored["probe"] = probe
        for name in ("probed_accuracy", "drop", "flip_rate"):
            scored["metrics"][f"{args.probe}_{name.removeprefix('probed_')}"] = probe.get(name)

    order = {e.id: k for k, e in enumerate(loaded.examples)}
    with open(folder / f"{PREDICTIONS}.tmp", "w") as handle:  # then renamed: never a half-written file
        for record in sorted(records.values(), key=lambda r: order.get(r["id"], len(order))):
            handle.write(json.dumps(record) + "\n")
    os.replace(folder / f"{PREDICTIONS}.tmp", folder / PREDICTIONS)

    scores = {
        "benchmark": adapter.name,
        "hub_id": adapter.hub_id,
        "source": source,
        "dataset": _dataset_record(adapter, source, loaded, args),
        "model": args.model,
        "adapter": args.adapter,
        "scoring": args.scoring,
        "mode": args.mode,
        "metric": adapter.metric,
        "rule": adapter.rule,
        "frames": {"num_frames": args.num_frames, "fps": args.fps, "max_frames": args.max_frames},
        "probe": args.probe,
        "questions": len(examples),
        "failed_videos": dict(failed),
        "missing_videos": loaded.missing_videos,
        "missing_video_hints": loaded.missing_video_hints,
        "invalid_rows": loaded.invalid_rows,
        **scored,
    }
    scores["model_index"] = _model_index(adapter, scored["metrics"], args.scoring, args.probe)
    # What the model-index entries were scored on, per card benchmark (the Hub's dataset revision/rows).
    scores["model_index_datasets"] = {
        name: {k: scores["dataset"][k] for k in ("id", "config", "split", "revision", "rows")}
        for name in scores["model_index"]
    }
    (folder / SCORES).write_text(json.dumps(scores, indent=2) + "\n")
    scores["output"] = str(folder)
    return scores
