"""EgoSchema: its answer rule (lmms-eval's ``tasks/egoschema``). Scored from predictions with the
``temporal_mcq`` metric; there is no adapter to load it yet."""

from __future__ import annotations

from collections.abc import Sequence

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule, mentioned_options


def reference_egoschema(prediction: str, options: Sequence[str]) -> str | None:
    """``egoschema_process_results_generation``: every "(X)", "X " and "X." (A-E) is a candidate and the
    one whose last occurrence comes *first* wins; option text (with its "X. " prefix, as the dataset
    stores it) in outputs over five words. lmms-eval's random fallback reads as no answer here."""
    all_choices = ["A", "B", "C", "D", "E"]
    index2ans = {LETTERS[i]: f"{LETTERS[i]}. {o}".strip() for i, o in enumerate(options)}
    response = prediction
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans = True
    candidates = [f"({c})" for c in all_choices if f"({c})" in response]
    candidates += [f"{c} " for c in all_choices if f"{c} " in response]
    candidates += [f"{c}." for c in all_choices if f"{c}." in response]
    if not candidates and len(response.split()) > 5:
        candidates = mentioned_options(response, index2ans)
        index_ans = not candidates
    if not candidates:
        return None
    if len(candidates) > 1:
        if index_ans:
            starts = [response.rfind(c) for c in candidates]
        else:
            starts = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
        chosen = candidates[min(range(len(starts)), key=lambda i: (starts[i], i))]
    else:
        chosen = candidates[0]
    letter = chosen.replace("(", "").replace(")", "").replace(".", "").strip()
    return letter if letter in all_choices else None


RULES = (
    BenchmarkRule("egoschema", "choice", 5, reference_egoschema, reference_needs_options=True,
        source="egoschema/utils.py::parse_multi_choice_response"),
)  # fmt: skip
