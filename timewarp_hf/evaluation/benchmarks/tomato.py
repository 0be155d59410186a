"""TOMATO: its answer rule (lmms-eval's ``tasks/tomato``). Scored from predictions with the
``temporal_mcq`` metric; there is no adapter to load it yet."""

from __future__ import annotations

from collections.abc import Sequence

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule, last_mentioned, mentioned_options


def reference_tomato(prediction: str, options: Sequence[str]) -> str | None:
    """``parse_multi_choice_response`` (the GPT parser is off): a choice letter found *anywhere*, even
    inside a word ("Answer" gives A); several found and no "(X)" in the output gives the first; no
    letter and a long output tries option texts; nothing found gives "A"."""
    all_choices = [LETTERS[i] for i in range(len(options))]
    index2ans = dict(zip(all_choices, options, strict=True))
    response = prediction
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans, ans_with_brack = True, False
    candidates = [c for c in all_choices if c in response]
    if candidates:
        ans_with_brack = True
    else:
        candidates = [c for c in all_choices if f" {c} " in response]
    if not candidates and len(response.split()) > 5:
        candidates, index_ans = mentioned_options(response, index2ans), False
    if not candidates:
        return "A"
    if len(candidates) == 1:
        return candidates[0]
    return last_mentioned(response, candidates, index2ans, by_text=not index_ans, bracketed=ans_with_brack)


RULES = (
    BenchmarkRule("tomato", "choice", 6, reference_tomato, reference_needs_options=True,
        source="tomato/utils.py::parse_multi_choice_response"),
)  # fmt: skip
