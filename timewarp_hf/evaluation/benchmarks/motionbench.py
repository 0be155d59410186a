"""MotionBench: its answer rule (lmms-eval's ``tasks/motionbench``). Scored from predictions with the
``temporal_mcq`` metric; there is no adapter to load it yet."""

from __future__ import annotations

import re
from collections.abc import Sequence

from timewarp_hf.metrics.rules import BenchmarkRule

_MOTIONBENCH_PREFIXES = (
    "THE BEST ANSWER IS",
    "THE CORRECT ANSWER IS",
    "THE ANSWER IS",
    "BEST ANSWER:",
    "ANSWER:",
)


def reference_motionbench(prediction: str, options: Sequence[str]) -> str | None:
    """``_extract_choice_letter``: upper-case everything (so the article "a" is option A), drop answer
    prefixes, then a standalone A-F, an "X."/"X)"/"X:", or any A-F inside a word."""
    candidate = prediction
    if "</think>" in candidate:
        candidate = candidate.split("</think>")[-1]
    candidate = candidate.strip().upper()
    if not candidate:
        return None
    for prefix in _MOTIONBENCH_PREFIXES:
        candidate = candidate.replace(prefix, "")
    for pattern in (r"\b([A-F])\b", r"([A-F])[.):]", r"([A-F])"):
        match = re.search(pattern, candidate)
        if match:
            return match.group(1)
    return None


RULES = (
    BenchmarkRule("motionbench", "choice", 6, reference_motionbench,
        source="motionbench/utils.py::_extract_choice_letter"),
)  # fmt: skip
