"""NExT-QA, multiple choice (``lmms-eval/NExTQA``, config ``MC``); lmms-eval's ``tasks/nextqa``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule, last_mentioned, mentioned_options

from .base import BenchmarkAdapter, EvalExample, _letter_for, _lettered

# NExT-QA's question types: causal (why/how), temporal (previous/current/next), descriptive.
NEXTQA_TYPES = {
    "CW": "causal_why",
    "CH": "causal_how",
    "TP": "temporal_previous",
    "TC": "temporal_current",
    "TN": "temporal_next",
    "DC": "descriptive_count",
    "DL": "descriptive_location",
    "DO": "descriptive_other",
}


class NExTQA(BenchmarkAdapter):
    """``lmms-eval/NExTQA``, config ``MC``, split ``test``: ``video`` (a number), ``qid, question, type,
    a0..a4, answer`` (the index); videos ``NExTVideo/<video>.mp4``."""

    name = rule = card_name = "nextqa"
    hub_id = "lmms-eval/NExTQA"
    config = "MC"
    split = "test"
    lmms_eval_videos = "nextqa"
    columns = ("video", "qid", "question", "type", "a0", "a1", "a2", "a3", "a4", "answer")

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        options = [str(row[f"a{i}"]).strip() for i in range(5)]
        row_id = f"{row['video']}_{row['qid']}"
        question = str(row["question"]).strip()
        return EvalExample(
            id=row_id,
            video=self.video_paths(row, subset),
            video_id=str(row["video"]),
            question=question,
            options=options,
            answer=_letter_for(int(row["answer"]), options, row_id),
            category=NEXTQA_TYPES.get(str(row["type"]), str(row["type"])),
            prompt="\n".join([question, *_lettered(options)]),
        )

    def video_paths(self, row: Mapping[str, Any], subset: str | None) -> list[str]:
        return [f"NExTVideo/{row['video']}.mp4", f"NExTVideo/{row['video']}.MP4"]


def reference_nextqa(prediction: str, options: Sequence[str]) -> str | None:
    """``nextqa_mc_process_results`` (MMMU parser): "(X)", else "X " (so "A man" is A), else "X.",
    else option text in outputs over five words; the last mention wins. lmms-eval draws a random
    letter when nothing matches; that draw cannot be reproduced and reads as no answer here."""
    all_choices = [LETTERS[i] for i in range(len(options))]
    index2ans = {c: o.strip() for c, o in zip(all_choices, options, strict=True)}
    response = prediction
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans, ans_with_brack = True, False
    candidates = [c for c in all_choices if f"({c})" in response]
    if candidates:
        ans_with_brack = True
    else:
        candidates = [c for c in all_choices if f"{c} " in response]
    if not candidates:
        candidates = [c for c in all_choices if f"{c}." in response]
    if not candidates and len(response.split()) > 5:
        candidates, index_ans = mentioned_options(response, index2ans), False
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    return last_mentioned(response, candidates, index2ans, by_text=not index_ans, bracketed=ans_with_brack)


RULES = (
    BenchmarkRule("nextqa", "choice", 5, reference_nextqa, reference_needs_options=True,
        source="nextqa/utils.py::parse_multi_choice_response"),
)  # fmt: skip
