"""Perception Test, multiple-choice validation (``lmms-eval/PerceptionTest_Val``); lmms-eval's
``tasks/perceptiontest/val``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from timewarp_hf.metrics.rules import BenchmarkRule

from .base import BenchmarkAdapter, EvalExample, _letter_for, _lettered


class PerceptionTest(BenchmarkAdapter):
    """``lmms-eval/PerceptionTest_Val``, config ``mc_question_val``, split ``validation``: ``video_name,
    question_id, question, options, answer_id, area, reasoning, tag``; videos ``videos/<video_name>.mp4``."""

    name = rule = card_name = "perceptiontest"
    hub_id = "lmms-eval/PerceptionTest_Val"
    config = "mc_question_val"
    split = "validation"
    lmms_eval_videos = "perceptiontest_val"
    columns = ("video_name", "question_id", "question", "options", "answer_id")

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        options = [str(o) for o in row["options"]]
        # question_id numbers a video's questions, so it repeats across videos: the id needs both.
        row_id = f"{row['video_name']}/{row['question_id']}"
        post = "\nAnswer with the option's letter from the given choices directly."
        return EvalExample(
            id=row_id,
            video=self.video_paths(row, subset),
            video_id=str(row["video_name"]),
            question=str(row["question"]),
            options=options,
            answer=_letter_for(int(row["answer_id"]), options, row_id),
            category=str(row.get("area") or ""),
            prompt=str(row["question"]) + "".join(f"\n{line}" for line in _lettered(options)) + post,
        )

    def video_paths(self, row: Mapping[str, Any], subset: str | None) -> list[str]:
        return [f"videos/{row['video_name']}.mp4", f"videos/{row['video_name']}.MP4"]


def reference_perceptiontest(prediction: str, options: Sequence[str]) -> str | None:
    """``perceptiontest_val_process_results_mc``: the first standalone capital A-D (the article "A" too)."""
    match = re.search(r"\b([A-D])\b", prediction.strip())
    return match.group(1) if match else None


RULES = (
    BenchmarkRule("perceptiontest", "choice", 3, reference_perceptiontest,
        source="perceptiontest/val/utils.py::perceptiontest_val_process_results_mc"),
)  # fmt: skip
