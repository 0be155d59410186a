"""MVBench (``OpenGVLab/MVBench``, videos on its ``video`` branch): 20 subtasks, one Hub config each;
lmms-eval's ``tasks/mvbench``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule

from .base import BenchmarkAdapter, EvalExample, InvalidRow, _digest

# lmms-eval's mvbench/utils.py DATA_LIST: the folder (under the unpacked videos) of each subtask's clips.
MVBENCH_VIDEO_FOLDERS = {
    "action_sequence": "star/Charades_segment",
    "action_prediction": "star/Charades_segment",
    "action_antonym": "ssv2_video_mp4",
    "fine_grained_action": "Moments_in_Time_Raw/videos",
    "unexpected_action": "FunQA_test/test",
    "object_existence": "clevrer/video_validation",
    "object_interaction": "star/Charades_segment",
    "object_shuffle": "perception/videos",
    "moving_direction": "clevrer/video_validation",
    "action_localization": "sta/sta_video_segment",
    "scene_transition": "scene_qa/video",
    "action_count": "perception/videos",
    "moving_count": "clevrer/video_validation",
    "moving_attribute": "clevrer/video_validation",
    "state_change": "perception/videos",
    "fine_grained_pose": "nturgbd_convert",
    "character_order": "perception/videos",
    "egocentric_navigation": "vlnqa",
    "episodic_reasoning": "tvqa/video_fps3_hq_segment",
    "counterfactual_inference": "clevrer/video_validation",
}


class MVBench(BenchmarkAdapter):
    """``OpenGVLab/MVBench``: one config per subtask (split ``train``), rows ``video, question, candidates,
    answer`` with the answer as the candidate's text."""

    name = rule = card_name = "mvbench"
    hub_id = "OpenGVLab/MVBench"
    split = "train"
    subsets = tuple(MVBENCH_VIDEO_FOLDERS)
    hub_kwargs = {"revision": "video"}
    max_new_tokens = 16
    lmms_eval_videos = "mvbench_video"
    columns = ("video", "question", "candidates", "answer")

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        options = [str(c) for c in row["candidates"]]
        row_id = f"{subset}/{row['video']}/{_digest(row['question'], options)}"
        if row["answer"] not in options:
            raise InvalidRow(f"{row_id}: answer {row['answer']!r} is not one of the candidates {options}")
        letter = LETTERS[options.index(row["answer"])]
        lines = "".join(f"({LETTERS[i]}) {c}\n" for i, c in enumerate(options))
        return EvalExample(
            id=row_id,
            video=self.video_paths(row, subset),
            video_id=Path(str(row["video"])).stem,
            question=str(row["question"]),
            options=options,
            answer=letter,
            category=subset or "",
            prompt=f"Question:{row['question']}\nOption:\n{lines}Only give the best option.\n",
        )

    def video_paths(self, row: Mapping[str, Any], subset: str | None) -> list[str]:
        folder = MVBENCH_VIDEO_FOLDERS.get(subset or "", "")
        return [f"{folder}/{row['video']}", f"data0613/{folder}/{row['video']}"]

    def video_folder(self, subset: str | None) -> str | None:
        return MVBENCH_VIDEO_FOLDERS.get(subset or "")

    def missing_video_hint(self, subset: str | None) -> str:
        hint = (
            "MVBench's videos are on the Hub repo's `video` branch, not `main`: `hf download OpenGVLab/MVBench "
            "--repo-type dataset --revision video --local-dir DIR`, unzip the archives under DIR/video and "
            "pass --video-dir DIR/video"
        )
        if subset == "fine_grained_pose":
            hint += (
                "; fine_grained_pose's clips are NTU RGB+D videos (nturgbd_convert/), which MVBench does "
                "not redistribute: request NTU RGB+D from its authors or leave the subtask out with --subset"
            )
        return hint


_MVBENCH_PUNCT = [
    ";",
    r"/",
    "[",
    "]",
    '"',
    "{",
    "}",
    "(",
    ")",
    "=",
    "+",
    "\\",
    "_",
    "-",
    ">",
    "<",
    "@",
    "`",
    ",",
    "?",
    "!",
]
_MVBENCH_PERIOD = re.compile(r"(?!<=\d)(\.)(?!\d)")
_MVBENCH_COMMA = re.compile(r"(\d)(\,)(\d)")
_MVBENCH_OPTION = re.compile(r"^([A-E])\.\s*(.+)$", re.IGNORECASE)
_MVBENCH_LETTER = re.compile(r"\b([A-E])\b", re.IGNORECASE)


def reference_mvbench(prediction: str, options: Sequence[str]) -> str | None:
    """``mcq_acc.process``: "X. text" at the start, else VQA-style punctuation stripping, lower case and
    the first standalone a-e anywhere, so the article "a" reads as option A."""
    match = _MVBENCH_OPTION.match(prediction.strip())
    if match:
        return match.group(1).upper()
    answer = prediction.replace("\n", " ").replace("\t", " ").strip()
    out = answer
    for p in _MVBENCH_PUNCT:
        if (p + " " in answer or " " + p in answer) or (re.search(_MVBENCH_COMMA, answer) is not None):
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    # lmms-eval passes re.UNICODE (32) positionally, where `sub` expects `count`: at most 32 periods go.
    out = _MVBENCH_PERIOD.sub("", out, 32)
    out = out.strip("'").strip('"').strip(")").strip("(").strip().lower()
    letter = _MVBENCH_LETTER.search(out)
    return letter.group(1).upper() if letter else None


RULES = (
    BenchmarkRule("mvbench", "choice", 5, reference_mvbench, reference_drops_empty=True,
        source="mvbench/utils.py::mcq_acc, mvbench_aggregate_results"),
)  # fmt: skip
