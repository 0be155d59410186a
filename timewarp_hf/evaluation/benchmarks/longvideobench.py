"""LongVideoBench: its answer rule (lmms-eval's ``tasks/longvideobench``). Scored from predictions with the
``temporal_mcq`` metric; there is no adapter to load it yet."""

from __future__ import annotations

import re
from collections.abc import Sequence

from timewarp_hf.metrics.rules import BenchmarkRule

_LVB_PREFIXES = (
    "The best answer is", "The correct answer is", "The answer is", "The answer", "The best option is",
    "The correct option is", "Best answer:", "Best option:",
)  # fmt: skip


def reference_longvideobench(prediction: str, options: Sequence[str]) -> str | None:
    """``parse_multi_choice_response``: drop answer prefixes, then the first capital A-E anywhere (the
    "B" of "Based" too). lmms-eval's random fallback reads as no answer here."""
    s = prediction.strip()
    for prefix in _LVB_PREFIXES:
        s = s.replace(prefix, "")
    match = re.search(r"[ABCDE]", s)
    return match[0] if match else None


RULES = (
    BenchmarkRule("longvideobench", "choice", 5, reference_longvideobench, reference_digits=5,
        source="longvideobench/utils.py::parse_multi_choice_response"),
)  # fmt: skip
