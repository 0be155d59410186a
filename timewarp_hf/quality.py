"""The quality filter: drop pairs that cannot teach anything, and count why.

The original code kept a pair even when chosen and rejected were the same text, which gives DPO a zero
gradient at best and noise at worst. Here a pair is dropped when either side is empty or unparsable, when
both are identical after normalisation, or when their similarity exceeds ``max_similarity``
(``difflib``'s ratio over normalised words, 0..1).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

__all__ = ["DROP_REASONS", "QualityFilter"]

DROP_REASONS = ("empty", "unparsable", "identical", "near_identical", "judge_rejected")


def _normalise(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@dataclass(frozen=True)
class QualityFilter:
    """``reason(chosen, rejected)`` is ``None`` for a good pair, else one of :data:`DROP_REASONS`."""

    max_similarity: float = 0.9

    def __post_init__(self):
        if not 0.0 < self.max_similarity <= 1.0:
            raise ValueError(f"max_similarity must be in (0, 1], got {self.max_similarity}")

    def similarity(self, chosen: str, rejected: str) -> float:
        return difflib.SequenceMatcher(None, _normalise(chosen), _normalise(rejected), autojunk=False).ratio()

    def reason(self, chosen: str | None, rejected: str | None) -> str | None:
        if chosen is None or rejected is None:
            return "unparsable"
        if not chosen.strip() or not rejected.strip():
            return "empty"
        a, b = _normalise(chosen), _normalise(rejected)
        if a == b:
            return "identical"
        if self.max_similarity < 1.0 and self.similarity(chosen, rejected) > self.max_similarity:
            return "near_identical"
        return None
