"""TempCompass (``lmms-eval/TempCompass``): multi-choice, yes/no and caption-matching questions on the
same videos; lmms-eval's ``tasks/tempcompass``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule

from .base import _LETTERED_LINE, YES_NO, BenchmarkAdapter, EvalExample, InvalidRow, _digest


class _TempCompass(BenchmarkAdapter):
    """``lmms-eval/TempCompass``: ``video_id, question, answer, dim``; videos ``videos/<video_id>.mp4``."""

    hub_id = "lmms-eval/TempCompass"
    split = "test"
    lmms_eval_videos = "tempcompass"
    columns = ("video_id", "question", "answer", "dim")
    card_name = "tempcompass"
    post_prompt: ClassVar[str] = "\nPlease directly give the best option:"
    max_new_tokens = 64

    def video_paths(self, row: Mapping[str, Any], subset: str | None) -> list[str]:
        return [f"videos/{row['video_id']}.mp4"]

    def _example(self, row: Mapping[str, Any], options: list[str], answer: str) -> EvalExample:
        question = row["question"]
        return EvalExample(
            id=f"{row['video_id']}/{_digest(question)}",
            video=self.video_paths(row, None),
            video_id=str(row["video_id"]),
            question=question.split("\n")[0].strip(),
            options=options,
            answer=answer,
            category=str(row["dim"]),
            prompt=f"{question}{self.post_prompt}",
        )


class TempCompassMultiChoice(_TempCompass):
    """The question holds its options (``"...?\\nA. slower\\nB. faster"``); ``answer`` is ``"A. slower"``."""

    name = rule = "tempcompass_multi_choice"
    config = "multi-choice"
    card_prefix = "multi_choice_"

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        lines = [line.strip() for line in row["question"].split("\n")[1:] if line.strip()]
        options = []
        for line in lines:
            match = _LETTERED_LINE.match(line)
            if match and match.group(1) == LETTERS[len(options)]:
                options.append(match.group(2))
        letter = str(row["answer"]).strip()[:1].upper()
        if not options or letter not in LETTERS[: len(options)]:
            raise InvalidRow(f"{row['video_id']}: answer {row['answer']!r} names none of the options {lines}")
        return self._example(row, options, letter)


class TempCompassYesNo(_TempCompass):
    """``answer`` is ``yes`` or ``no``."""

    name = rule = "tempcompass_yes_no"
    config = "yes_no"
    card_prefix = "yes_no_"
    post_prompt = "\nPlease answer yes or no:"
    max_new_tokens = 32

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        answer = str(row["answer"]).strip().lower()
        if answer not in YES_NO:
            raise InvalidRow(f"{row['video_id']}: answer {row['answer']!r} is not yes or no")
        return self._example(row, [], answer)


class TempCompassCaptionMatching(_TempCompass):
    """Options are the question's lines after the first (``"Caption A: ..."``, ``"Sentence A: ..."``,
    ``"Option 1: ..."``); ``answer`` is one of those lines."""

    name = rule = "tempcompass_caption_matching"
    config = "caption_matching"
    card_prefix = "caption_matching_"

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        lines = [line.strip() for line in row["question"].split("\n")[1:] if ": " in line]
        answer = str(row["answer"]).strip()
        labels = [line.split(": ")[0] for line in lines]
        if answer in lines:
            index = lines.index(answer)
        elif answer.split(":")[0] in labels:
            index = labels.index(answer.split(":")[0])
        else:
            raise InvalidRow(f"{row['video_id']}: answer {answer!r} is none of the option lines {lines}")
        return self._example(row, lines, LETTERS[index])

    def likelihood_inputs(self, example: EvalExample) -> tuple[str, list[str], list[str]]:
        texts = [line.split(": ", 1)[1] for line in example.options]
        return example.question, texts, list(LETTERS[: len(texts)])


def reference_tempcompass_multi_choice(prediction: str, options: Sequence[str]) -> str | None:
    """``tempcompass_process_results_multi_choice``: only ``X``, ``X.``, ``X)`` at the very start
    (``pred == answer`` is one case of ``X.``); anything else goes to the GPT judge."""
    if prediction in ("A", "B", "C", "D"):
        return prediction
    for letter in "ABCD":
        if prediction.startswith((letter + ".", letter + ")")):
            return letter
    return None


def reference_tempcompass_yes_no(prediction: str, options: Sequence[str]) -> str | None:
    """``extract_pred``: lower-cased output starting with "yes" or "no" (so "not", "none" read as no)."""
    lowered = prediction.lower()
    if lowered.startswith("yes"):
        return "yes"
    if lowered.startswith("no"):
        return "no"
    return None


_CAPTION_LINE = re.compile(r"^(?:Caption|Sentence|Option) \w+: ")


def caption_matching_lines(options: Sequence[str]) -> list[str]:
    """TempCompass caption-matching options as the question shows them ("Caption A: ..."). Options
    given as bare text are labelled "Caption A", "Caption B", ... (the most common label)."""
    return [
        option if _CAPTION_LINE.match(option) else f"Caption {LETTERS[i]}: {option}"
        for i, option in enumerate(options)
    ]


def reference_tempcompass_caption_matching(prediction: str, options: Sequence[str]) -> str | None:
    """``eval_rule``: the output must equal a whole option line, its sentence (also after a ``") "``),
    or its label ("Caption A" / "A", dots removed); later rules and later options override earlier."""
    lines = caption_matching_lines(options)
    sentences = [line.split(": ")[1] for line in lines]
    indices = [line.split(": ")[0] for line in lines]
    short = [i.replace("Sentence ", "").replace("Option ", "").replace("Caption ", "") for i in indices]
    matched = None
    for i, line in enumerate(lines):
        if line == prediction:
            matched = i
    for i, sentence in enumerate(sentences):
        if sentence == prediction or (") " in prediction and sentence == prediction.split(") ")[1]):
            matched = i
    for i, label in enumerate(indices + short):
        if label == prediction or label == prediction.replace(".", ""):
            matched = i % len(lines)
    return None if matched is None else LETTERS[matched]


def _numbered_lines(lines: Sequence[str]) -> bool:
    """Caption-matching lines labelled "Option 1", "Option 2", ... rather than with letters."""
    return all(line.split(": ")[0].split()[-1].isdigit() for line in lines)


def _caption_texts(options: Sequence[str]) -> tuple[list[str], bool]:
    """Corrected reading: the sentences of the option lines, and whether they are numbered."""
    lines = caption_matching_lines(options)
    return [line.split(": ", 1)[1] for line in lines], _numbered_lines(lines)


RULES = (
    BenchmarkRule("tempcompass_multi_choice", "choice", 4, reference_tempcompass_multi_choice,
        source="tempcompass/utils.py::tempcompass_process_results_multi_choice"),
    BenchmarkRule("tempcompass_yes_no", "yes_no", 2, reference_tempcompass_yes_no,
        source="tempcompass/utils.py::extract_pred"),
    BenchmarkRule("tempcompass_caption_matching", "choice", 4, reference_tempcompass_caption_matching,
        reference_needs_options=True, source="tempcompass/utils.py::eval_rule",
        corrected_options=_caption_texts),
)  # fmt: skip
