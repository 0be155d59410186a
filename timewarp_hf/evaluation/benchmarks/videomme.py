"""Video-MME (``lmms-eval/Video-MME``), and its ``number_option`` variant (options shown as 1-4);
lmms-eval's ``tasks/videomme`` and ``tasks/videomme/number_option``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule

from .base import BenchmarkAdapter, EvalExample, InvalidRow

_VIDEOMME_INSTRUCTION = (
    "Select the best answer to the following multiple-choice question based on the video and the subtitles. "
    "Respond with only the letter (A, B, C, or D) of the correct option."
)
_OPTION_PREFIX = re.compile(r"^[A-Z][.)]\s*")


class VideoMME(BenchmarkAdapter):
    """``lmms-eval/Video-MME`` (split ``test``): ``videoID, question_id, duration, domain, sub_category,
    task_type, question, options`` (``"A. text"``), ``answer`` (a letter); videos ``data/<videoID>.mp4``."""

    name = rule = card_name = "videomme"
    hub_id = "lmms-eval/Video-MME"
    split = "test"
    max_new_tokens = 16
    lmms_eval_videos = "videomme"
    columns = ("videoID", "question_id", "task_type", "question", "options", "answer")

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        shown = [str(o) for o in row["options"]]
        options = [_OPTION_PREFIX.sub("", o) for o in shown]
        answer = str(row["answer"]).strip().upper()
        if answer not in LETTERS[: len(options)]:
            raise InvalidRow(f"{row['question_id']}: answer {row['answer']!r} is not an option letter")
        question = str(row["question"])
        post = "\nAnswer with the option's letter from the given choices directly."
        return EvalExample(
            id=str(row["question_id"]),
            video=self.video_paths(row, subset),
            video_id=str(row["videoID"]),
            question=question,
            options=options,
            answer=answer,
            category=str(row["task_type"]),
            prompt=f"{_VIDEOMME_INSTRUCTION}\n{question}\n" + "\n".join(shown) + f"\n{post}",
        )

    def video_paths(self, row: Mapping[str, Any], subset: str | None) -> list[str]:
        return [f"data/{row['videoID']}.{ext}" for ext in ("mp4", "MP4", "mkv")]


class VideoMMENumberOption(VideoMME):
    """lmms-eval's ``videomme_number_option`` variant: the same rows, options shown as ``1. text`` ...
    ``4. text`` (``videomme_process_docs_number_option``) and answered with the option's number; the gold
    stays a letter here (option 1 is A), as the rule returns letters."""

    name = rule = "videomme_number_option"
    card_prefix = "number_option_"

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        example = super().normalize(row, subset)
        # videomme_doc_to_text_number: question, the numbered options, the post prompt.
        numbered = "\n".join(f"{k + 1}. {text}" for k, text in enumerate(example.options))
        example.prompt = f"{example.question}\n{numbered}\nAnswer with the option's number from the given choices directly."
        return example


_VIDEOMME_PHRASES = (
    "the answer is", "answer is", "the correct answer is", "correct answer is", "the best answer is",
    "best answer is", "the correct option is", "correct option is", "the best option is", "best option is",
    "the choice is", "choice is", "the correct choice is", "correct choice is", "i choose", "i select",
    "i pick", "my answer is", "my choice is", "옵션", "정답은", "답은", "답:", "答案是", "答案为", "选", "答えは",
)  # fmt: skip
_VIDEOMME_PRIORITY = {
    "start": 10, "end": 9, "phrase": 7, "parentheses": 6, "period": 5, "colon": 4, "right_paren": 3,
    "space": 2, "fallback": 0,
}  # fmt: skip


def reference_videomme(prediction: str, options: Sequence[str]) -> str | None:
    """``_task_utils/mcq_extract.py::extract_mcq_answer`` with choices A-D: ranked formats, the
    highest-ranked (then last) wins, and a capital A-D anywhere (inside "Based" too) as the fallback.
    "A man..." counts as starting with the standalone letter A."""
    if not prediction or not prediction.strip():
        return None
    choices = ["A", "B", "C", "D"]
    text = prediction.strip()
    for char in [",", ".", "!", "?", ";", ":", "'", '"']:
        text = text.strip(char)
    text = " " + text + " "
    candidates: list[tuple[str, int, str]] = []
    for fmt, template in (
        ("parentheses", "({})"),
        ("period", "{}."),
        ("colon", "{}:"),
        ("right_paren", "{})"),
        ("space", "{} "),
    ):
        for ch in choices:
            if template.format(ch) in text:
                candidates.append((ch, text.rfind(template.format(ch)), fmt))
    text_lower = text.lower()
    for phrase in _VIDEOMME_PHRASES:
        idx = text_lower.find(phrase)
        if idx != -1:
            for ch in choices:
                ch_pos = text.find(ch, idx + len(phrase))
                if ch_pos != -1:
                    candidates.append((ch, ch_pos, "phrase"))
    stripped = text.strip()
    for ch in choices:
        if stripped.startswith(ch) and (len(stripped) == 1 or not stripped[1].isalpha()):
            candidates.append((ch, 0, "start"))
    for ch in choices:
        if stripped.endswith(ch) and (len(stripped) == 1 or not stripped[-2].isalpha()):
            candidates.append((ch, len(text) - 1, "end"))
    if not candidates:
        candidates = [(ch, text.rfind(ch), "fallback") for ch in choices if ch in text]
    if not candidates:
        return None
    candidates.sort(key=lambda c: (_VIDEOMME_PRIORITY[c[2]], c[1]), reverse=True)
    return candidates[0][0]


def reference_videomme_number_option(prediction: str, options: Sequence[str]) -> str | None:
    """``videomme/number_option/utils.py::extract_number_answer`` (options shown as 1-4): "N." / "N)"
    / "N " at the start, else the first standalone digit 1-4 anywhere ("2 people" reads as option 2).
    The option named is returned as its letter (option 1 is A); lmms-eval compares the digit it read
    with the gold digit, which is the same comparison."""
    response = prediction.strip()
    for pattern in (r"^([1-4])[\.\)\s]", r"\b([1-4])\b"):
        match = re.search(pattern, response)
        if match:
            return LETTERS[int(match.group(1)) - 1]
    if response and response[0] in "1234":
        return LETTERS[int(response[0]) - 1]
    return None


RULES = (
    BenchmarkRule("videomme", "choice", 4, reference_videomme,
        source="_task_utils/mcq_extract.py::extract_mcq_answer"),
    BenchmarkRule("videomme_number_option", "choice", 4, reference_videomme_number_option, numbered=True,
        source="videomme/number_option/utils.py::extract_number_answer"),
)  # fmt: skip
