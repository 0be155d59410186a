"""TVBench (``FunAILab/TVBench``): MVBench-style rows in 10 subtasks, some about a window of a longer
video; lmms-eval's ``tasks/tvbench``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule

from .base import BenchmarkAdapter, EvalExample, InvalidRow, _digest, _letter_for, _lettered, _window

TVBENCH_SUBSETS = (
    "action_antonym",
    "action_count",
    "action_localization",
    "action_sequence",
    "egocentric_sequence",
    "moving_direction",
    "object_count",
    "object_shuffle",
    "scene_transition",
    "unexpected_action",
)


class TVBench(BenchmarkAdapter):
    """``FunAILab/TVBench``: one config per subtask (split ``train``), MVBench-style rows ``video, question,
    candidates, answer``; the answer may be the text, a letter or a 0/1-based index (lmms-eval accepts all)."""

    name = rule = card_name = "tvbench"
    hub_id = "FunAILab/TVBench"
    split = "train"
    subsets = TVBENCH_SUBSETS
    lmms_eval_videos = "tvbench"
    columns = ("video", "question", "candidates", "answer")
    #: Subtasks whose questions are about a ``[start, end]`` window (seconds) of a longer video: the
    #: benchmark's own evaluation (``vqa_dataset.py``, ``bound=True``) samples frames inside it.
    #: lmms-eval 0.7.3 shows the whole video.
    windowed: ClassVar[frozenset[str]] = frozenset({"action_sequence", "action_localization"})

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        options = [str(c) for c in row["candidates"]]
        start, end = None, None
        if subset in self.windowed:
            start, end = _window(row, f"{subset}/{row['video']}")
        # The window is part of the id: one clip may be asked about in two windows.
        parts = (
            (row["question"], options)
            if start is None and end is None
            else (row["question"], options, start, end)
        )
        row_id = f"{subset}/{row['video']}/{_digest(*parts)}"
        lines = [str(row["question"]).strip(), *_lettered(options), "Answer with the option letter only."]
        return EvalExample(
            id=row_id,
            video=self.video_paths(row, subset),
            video_id=Path(str(row["video"])).stem,
            question=str(row["question"]).strip(),
            options=options,
            answer=self._target(row["answer"], options, row_id),
            category=subset or "",
            prompt="\n".join(lines),
            start=start,
            end=end,
        )

    @staticmethod
    def _target(answer: Any, options: list[str], row_id: str) -> str:
        """The gold letter from a candidate's text, an index (0-based first, then 1-based) or a letter.

        Unlike lmms-eval's ``tvbench_doc_to_target``, which reads any digit string as an index first, a
        text equal to a candidate is that candidate: the count "2" among "1", "2", "3" is B, not C.
        """
        text = " ".join(str(answer).lower().split())
        normalized = [" ".join(o.lower().split()) for o in options]
        if not isinstance(answer, int) and text in normalized:
            return LETTERS[normalized.index(text)]
        if isinstance(answer, int) or text.isdigit():
            index = int(text)
            return _letter_for(index if index < len(options) else index - 1, options, row_id)
        if len(text) == 1 and text.isalpha():
            return _letter_for(LETTERS.index(text.upper()), options, row_id)
        raise InvalidRow(f"{row_id}: answer {answer!r} is not one of the candidates {options}")

    def video_paths(self, row: Mapping[str, Any], subset: str | None) -> list[str]:
        name = str(row["video"])
        return [
            name,
            f"video/{name}",
            f"videos/{name}",
            f"data/{name}",
            f"{subset}/{name}",
            f"video/{subset}/{name}",
            f"videos/{subset}/{name}",
        ]

    def video_folder(self, subset: str | None) -> str | None:
        return subset

    def missing_video_hint(self, subset: str | None) -> str:
        hint = super().missing_video_hint(subset) + " (TVBench's layout: video/<subtask>/<file>)"
        if subset == "action_antonym":
            hint += (
                "; action_antonym's clips are NTU RGB+D recordings (names like S001C001P003R001A008_rgb), "
                "which are licensed by their authors and may be absent from the Hub download: request NTU "
                "RGB+D from them and put the files in video/action_antonym/, or leave the subtask out "
                "(--subset for each of the others)"
            )
        return hint


def reference_tvbench(prediction: str, options: Sequence[str]) -> str | None:
    """``_extract_choice_letter``: the *first* standalone capital letter if it is a valid choice (the
    article "A" included; "I think B" stops at "I"), else a leading "(X)"/"X." label, else the one
    option whose text the output contains."""
    text = str(prediction or "").strip()
    if not text:
        return None
    all_choices = LETTERS[: max(len(options), 2)]
    uppercase = text.upper()
    letter = re.search(r"\b([A-Z])\b", uppercase)
    if letter and letter.group(1) in all_choices:
        return letter.group(1)
    prefix = re.match(r"^\s*[\(\[]?([A-Z])[\)\].:]?", uppercase)
    if prefix and prefix.group(1) in all_choices:
        return prefix.group(1)
    normalized = " ".join(text.lower().split())
    candidates = [" ".join(c.strip().lower().split()) for c in options]
    matched = [i for i, c in enumerate(candidates) if c and c in normalized]
    return all_choices[matched[0]] if len(matched) == 1 else None


RULES = (
    BenchmarkRule("tvbench", "choice", 4, reference_tvbench, reference_needs_options=True,
        source="tvbench/utils.py::_extract_choice_letter"),
)  # fmt: skip
