"""ViTaTeCS: its answer rule (lmms-eval's ``tasks/vitatecs``). Scored from predictions with the
``temporal_mcq`` metric; there is no adapter to load it yet."""

from __future__ import annotations

from collections.abc import Sequence

from timewarp_hf.metrics.rules import BenchmarkRule


def _vitatecs_matching_form(sentence: str) -> str:
    """``process_option_for_matching``."""
    return (sentence[:-1] if sentence.endswith(".") else sentence).lower()


def reference_vitatecs(prediction: str, options: Sequence[str]) -> str | None:
    """``vitatecs_process_results``: one option's text (not the other's) in the lower-cased output, else
    "A"/"B" exactly, else starting with "A."/"A)"/"(A)"; anything else goes to the GPT judge."""
    if len(options) != 2:
        raise ValueError(
            f"ViTaTeCS questions have two options (caption and counterfactual), got {len(options)}"
        )
    a, b = (_vitatecs_matching_form(o) for o in options)
    lowered = prediction.lower()
    if a in lowered and b not in lowered:
        return "A"
    if b in lowered and a not in lowered:
        return "B"
    if prediction in ("A", "B"):
        return prediction
    for letter in "AB":
        if prediction.startswith((letter + ".", letter + ")", f"({letter})")):
            return letter
    return None


RULES = (
    BenchmarkRule("vitatecs", "choice", 2, reference_vitatecs, reference_needs_options=True,
        source="vitatecs/utils.py::vitatecs_process_results"),
)  # fmt: skip
