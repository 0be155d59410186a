"""`evaluate` metrics for temporal video benchmarks.

Each metric is an ``evaluate.Metric`` in its own folder (``<name>/<name>.py``), so it loads offline
through ``evaluate.load`` on a local path, and is importable as a class too::

    import evaluate
    import timewarp_hf.metrics

    metric = evaluate.load(timewarp_hf.metrics.metric_path("temporal_mcq"), "mvbench")
    metric = timewarp_hf.metrics.load_metric("temporal_mcq", benchmark="mvbench", mode="reference")
    metric = timewarp_hf.metrics.TemporalMCQ(benchmark="mvbench")

The answer-extraction rules the metrics share are pure functions in
:mod:`timewarp_hf.metrics.extraction` (the shared corrected extractor; each benchmark's own rule lives in
its module under :mod:`timewarp_hf.evaluation.benchmarks`, built on :mod:`timewarp_hf.metrics.rules`). Importing ``evaluate`` takes seconds (it pulls in transformers
pipelines), so the metric classes load on first use and the extraction rules import without it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import evaluate

    from timewarp_hf.metrics.extraction import BENCHMARKS, MODES, extract_answer
    from timewarp_hf.metrics.llm_judge import LLMJudge
    from timewarp_hf.metrics.paired_yes_no import PairedYesNo
    from timewarp_hf.metrics.temporal_mcq import TemporalMCQ
    from timewarp_hf.metrics.temporal_sensitivity import TemporalSensitivity
    from timewarp_hf.metrics.vinoground import Vinoground

METRICS = ("temporal_mcq", "vinoground", "paired_yes_no", "llm_judge", "temporal_sensitivity")
_CLASSES = {
    "TemporalMCQ": "temporal_mcq",
    "Vinoground": "vinoground",
    "PairedYesNo": "paired_yes_no",
    "LLMJudge": "llm_judge",
    "TemporalSensitivity": "temporal_sensitivity",
}

__all__ = [
    "BENCHMARKS",
    "LLMJudge",
    "METRICS",
    "MODES",
    "PairedYesNo",
    "TemporalMCQ",
    "TemporalSensitivity",
    "Vinoground",
    "extract_answer",
    "load_metric",
    "metric_path",
]


def metric_path(name: str) -> str:
    """The folder holding metric ``name``'s module, for ``evaluate.load(metric_path(name))``."""
    if name not in METRICS:
        raise ValueError(f"Unknown metric {name!r}; accepted: {', '.join(METRICS)}")
    return str(Path(__file__).parent / name)


def load_metric(name: str, **config) -> evaluate.EvaluationModule:
    """Load a metric through ``evaluate.load`` from the package, without the network.

    Args:
        name: One of :data:`METRICS`.
        **config: The metric's options (``benchmark=``, ``mode=``, ``strict=``, ``numbered=`` for
            temporal_mcq; ``mode=``, ``strict=`` for the others) and ``evaluate.load`` arguments
            (``keep_in_memory=``, ``cache_dir=``, ``experiment_id=``, ...).
    """
    import evaluate

    return evaluate.load(metric_path(name), **config)


def __getattr__(name: str):
    # The extraction rules gather every benchmark module's RULES (timewarp_hf.evaluation.benchmarks), which
    # import timewarp_hf.metrics.rules: loading them on first use keeps that import free of cycles.
    if name in ("BENCHMARKS", "MODES", "extract_answer"):
        return getattr(importlib.import_module(f"{__name__}.extraction"), name)
    if name in _CLASSES:
        return getattr(importlib.import_module(f"{__name__}.{_CLASSES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
