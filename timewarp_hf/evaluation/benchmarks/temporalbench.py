"""TemporalBench: its answer rule (lmms-eval's ``tasks/temporalbench``). Scored from predictions with the
``temporal_mcq`` metric; there is no adapter to load it yet."""

from __future__ import annotations

from collections.abc import Sequence

from timewarp_hf.metrics.rules import BenchmarkRule, _first_character


def reference_temporalbench(prediction: str, options: Sequence[str]) -> str | None:
    """``temporalbench_aggregate_results``: the first character of the output, case-insensitive
    ("The answer is A" reads as "T"; an empty output crashes lmms-eval, here it is no answer)."""
    return _first_character(prediction, options, 2)


RULES = (
    BenchmarkRule("temporalbench", "choice", 2, reference_temporalbench,
        source="temporalbench/utils.py::temporalbench_aggregate_results"),
)  # fmt: skip
