"""VideoHallucer: its answer rule (``evaluations/evaluation_utils.py``; not in lmms-eval), read by the
``paired_yes_no`` metric's reference mode."""

from __future__ import annotations

import re


def reference_videohallucer(prediction: str, gold: str) -> str | None:
    """VideoHallucer (``evaluations/evaluation_utils.py``; not in lmms-eval): a question is right when
    its gold word appears anywhere as a word, case-insensitive, so "Yes, no doubt" is right for both
    golds. Returns the gold when it appears, else the other answer when that appears, else ``None``."""
    other = "no" if gold == "yes" else "yes"
    for answer in (gold, other):
        if re.search(r"\b(" + answer + r")\b", prediction or "", re.IGNORECASE):
            return answer
    return None
