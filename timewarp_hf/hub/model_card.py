"""The model side of the Hub: a TimeWarp model card (``hub_cards/model_card.md``) with ``model-index``
evaluation results, or the completion of the card TRL's trainer wrote, and its validation.

The trainer imports only this module (and :mod:`.privacy`), so training never depends on the dataset
export or push code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .. import __version__
from ..constants import CITATION
from .common import MODEL_TAGS, TASK_CATEGORY, as_list, card_template_text, is_hub_id
from .privacy import scrub_local_paths

__all__ = [
    "eval_results_from_dict",
    "model_card_section",
    "render_model_card",
    "update_model_card",
    "validate_model_card",
]


# Hub ids of benchmarks whose scores `timewarp eval` reports, so `model-index` links the right dataset.
def _benchmark_dataset(benchmark: str) -> str:
    """The Hub dataset a benchmark name refers to, from the eval harness's adapters (one source of truth);
    TOMATO has no adapter yet but is scored by the metrics."""
    from ..evaluation import ADAPTERS

    key = benchmark.lower().replace("-", "")
    for adapter in ADAPTERS.values():
        if adapter.hub_id and key in (adapter.name.replace("-", ""), adapter.name.split("_")[0]):
            return adapter.hub_id
    return {"tomato": "lmms-eval/TOMATO"}.get(key, benchmark)


def eval_results_from_dict(
    results: Mapping[str, Mapping[str, float]],
    *,
    task_type: str = TASK_CATEGORY,
    datasets: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[EvalResult]:
    """``{benchmark: {metric: value}}`` (what ``timewarp eval`` reports) as ``EvalResult`` entries.

    Known benchmarks get their Hub dataset id as ``dataset.type`` so the Hub links them; others keep
    their name. Values must be numbers. ``datasets`` (``{benchmark: {"id", "config", "split", "revision",
    "rows"}}``, the ``.datasets.json`` that ``timewarp compare --output`` writes beside the results)
    records which version of each benchmark was scored: its commit, config, split and row count.
    """
    entries = []
    for benchmark, metrics in results.items():
        if not isinstance(metrics, Mapping) or not metrics:
            raise ValueError(f"eval results for {benchmark!r} must be a non-empty {{metric: value}} mapping")
        version = (datasets or {}).get(benchmark) or {}
        dataset_type = version.get("id") or _benchmark_dataset(benchmark)
        for metric, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"eval result {benchmark}/{metric} must be a number, got {value!r}")
            entries.append(
                EvalResult(
                    task_type=task_type,
                    dataset_type=dataset_type,
                    dataset_name=benchmark,
                    metric_type=metric,
                    metric_value=value,
                    dataset_config=version.get("config"),
                    dataset_split=version.get("split"),
                    dataset_revision=version.get("revision"),
                    dataset_args={"rows": version["rows"]} if version.get("rows") is not None else None,
                )
            )
    return entries


def _table_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(f"`{v}`" for v in value)
    return scrub_local_paths(str(value))


def render_model_card(
    *,
    model_name: str,
    base_model: str,
    repo_id: str | None = None,
    dataset: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    eval_datasets: Mapping[str, Mapping[str, Any]] | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    training_data: Mapping[str, Any] | None = None,
    num_frames: int = 8,
    license: str | None = None,
    adapter: bool = False,
) -> ModelCard:
    """A complete TimeWarp model card (``hub_cards/model_card.md``): base model, dataset, recipe,
    hyperparameters, evaluation as ``model-index``, intended use and limits.

    For a model trained with ``TimeWarpDPOTrainer``, prefer :func:`update_model_card` on the card TRL
    wrote: it adds the evaluation and use sections without duplicating the training ones.
    """
    base_id = base_model if is_hub_id(base_model) else None
    dataset_id = dataset if dataset and is_hub_id(dataset) else None
    card_data = ModelCardData(
        model_name=model_name,
        base_model=base_id,
        datasets=[dataset_id] if dataset_id else None,
        library_name="peft" if adapter else "transformers",
        license=license,
        pipeline_tag=TASK_CATEGORY,
        tags=list(MODEL_TAGS),
        eval_results=eval_results_from_dict(eval_results, datasets=eval_datasets) if eval_results else None,
    )
    data_rows = [("base model", f"`{scrub_local_paths(base_model)}`")]
    if dataset:
        data_rows.append(
            (
                "dataset",
                f"[{dataset}](https://huggingface.co/datasets/{dataset})"
                if dataset_id
                else f"`{scrub_local_paths(dataset)}`",
            )
        )
    data_rows += [(name, _table_value(value)) for name, value in (training_data or {}).items()]
    eval_rows = [
        (benchmark, metric, f"{value:.4g}")
        for benchmark, metrics in (eval_results or {}).items()
        for metric, value in metrics.items()
    ]
    return ModelCard.from_template(
        card_data,
        template_str=card_template_text("model_card.md"),
        model_name=model_name,
        base_model=scrub_local_paths(base_model),
        base_model_link=f"https://huggingface.co/{base_id}" if base_id else None,
        dataset=scrub_local_paths(dataset) if dataset else None,
        dataset_link=f"https://huggingface.co/datasets/{dataset_id}" if dataset_id else None,
        repo_id=repo_id or model_name,
        package_version=__version__,
        num_frames=num_frames,
        adapter=adapter,
        data_rows=data_rows,
        hyperparameters=[(name, _table_value(value)) for name, value in (hyperparameters or {}).items()],
        eval_rows=eval_rows,
        license=license,
        citation=CITATION,
    )


_SECTION = re.compile(r"<!-- timewarp-hf:begin -->.*?<!-- timewarp-hf:end -->\n?", re.S)


def model_card_section(
    *,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    num_frames: int = 8,
    license: str | None = None,
) -> str:
    """The Evaluation, Intended use and Limitations sections of ``hub_cards/model_card.md``, between
    ``<!-- timewarp-hf:begin/end -->`` markers, for a card another tool wrote (TRL's)."""
    card = render_model_card(
        model_name="model",
        base_model="base",
        eval_results=eval_results,
        num_frames=num_frames,
        license=license,
    )
    return _SECTION.search(card.text).group(0)


def update_model_card(
    card: ModelCard | str | os.PathLike,
    *,
    base_model: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    dataset: str | None = None,
    license: str | None = None,
    num_frames: int = 8,
    eval_datasets: Mapping[str, Mapping[str, Any]] | None = None,
) -> ModelCard:
    """Complete a model card another tool wrote (``TimeWarpDPOTrainer``'s, via TRL) instead of writing a
    second one: TimeWarp tags and pipeline tag, the base model and dataset, ``model-index`` from
    ``eval_results``, and the sections of :func:`model_card_section` (replacing an earlier copy, so it
    can run again after each evaluation).
    """
    if not isinstance(card, ModelCard):
        card = ModelCard.load(Path(card))
    data = card.data
    if data.get("licence") == "license":  # TRL's template writes this placeholder key
        data.pop("licence")
    if data.base_model and not all(is_hub_id(str(b)) for b in as_list(data.base_model)):
        data.base_model = None  # a local folder means nothing on the Hub (and the Hub rejects it)
    local_base = [
        t for t in data.tags or [] if t.startswith("base_model:") and not is_hub_id(t.rsplit(":", 1)[-1])
    ]
    data.tags = sorted((set(data.tags or []) - set(local_base)) | set(MODEL_TAGS))
    data.pipeline_tag = data.pipeline_tag or TASK_CATEGORY
    if license:
        data.license = license
    if base_model and is_hub_id(base_model) and not data.base_model:
        data.base_model = base_model  # TRL leaves it out when training started from a local folder
    if dataset and is_hub_id(dataset):
        known = data.datasets if isinstance(data.datasets, list) else [data.datasets] if data.datasets else []
        data.datasets = sorted(set(known) | {dataset})
    if eval_results:
        data.model_name = data.model_name or "model"
        data.eval_results = eval_results_from_dict(eval_results, datasets=eval_datasets)
    section = model_card_section(
        eval_results=eval_results, num_frames=num_frames, license=license or data.license
    )
    text = _SECTION.sub("", card.text)
    anchor = text.find("\n## Citations")
    text = f"{text.rstrip()}\n\n{section}" if anchor < 0 else f"{text[:anchor]}\n{section}{text[anchor:]}"
    card.text = text
    return card


def validate_model_card(card: ModelCard) -> None:
    """Fail with a clear message when a model card's metadata is unusable: it must round-trip through
    the Hub's parser (which checks ``model-index``), name a pipeline tag and carry the TimeWarp tag; each
    ``model-index`` result needs a task type, a dataset and metrics with numeric values."""
    parsed = ModelCard(str(card))
    data = parsed.data.to_dict()
    problems = []
    if "timewarp" not in (data.get("tags") or []):
        problems.append("tags lack timewarp")
    if not data.get("pipeline_tag"):
        problems.append("no pipeline_tag")
    for entry in data.get("model-index") or []:
        if not entry.get("name"):
            problems.append("model-index entry without name")
        for result in entry.get("results") or []:
            if not result.get("task", {}).get("type") or not result.get("dataset", {}).get("type"):
                problems.append("model-index result without task or dataset type")
            for metric in result.get("metrics") or []:
                if not isinstance(metric.get("value"), (int, float)):
                    problems.append(f"model-index metric {metric.get('type')} has no numeric value")
    if problems:
        raise ValueError("invalid model card metadata: " + "; ".join(problems))
