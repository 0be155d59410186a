"""Benchmark adapters: each temporal video benchmark's own rows, normalised into one evaluation schema.

Every benchmark publishes its questions in its own shape (MVBench: ``candidates`` and the answer as text;
Video-MME: ``options`` as ``"A. text"`` lines and a letter; NExT-QA: columns ``a0``..``a4`` and an index;
TempCompass: the options inside the question text ...) and keeps its videos outside the table, in archives
that lmms-eval unpacks under ``$HF_HOME/<folder>``. An adapter knows one benchmark's real Hub id, configs,
split and columns, the prompt lmms-eval 0.7.3 shows for it, and where its video files usually lie. It turns
a row into an :class:`EvalExample`: ``video, video_id, question, options, answer`` (an option letter, or
``yes``/``no``), ``category``, plus the benchmark's ``prompt`` and a stable ``id`` (resuming needs one).

:meth:`BenchmarkAdapter.normalize` is a pure function of one row, so each adapter is testable on a
hand-made row; :func:`load_examples` does the I/O: ``datasets.load_dataset(<Hub id or local folder>,
<config>, split=...)`` (a local copy of the Hub repo, or any folder whose README declares the same configs,
loads through the same call), then video paths are resolved under the video folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import string
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

__all__ = [
    "ADAPTERS",
    "BenchmarkAdapter",
    "EvalExample",
    "InvalidRow",
    "LoadedBenchmark",
    "get_adapter",
    "load_examples",
    "resolve_benchmark",
]

logger = logging.getLogger(__name__)

LETTERS = string.ascii_uppercase
YES_NO = ("yes", "no")


class InvalidRow(ValueError):
    """A row whose content cannot be scored (its answer is not among its options): counted and skipped."""


@dataclass
class EvalExample:
    """One question in the common evaluation schema.

    Attributes:
        id: Unique and stable across runs (the benchmark's own question id where it has one), for resuming.
        video: A path or a ``{"path", "bytes"}`` value; before :func:`load_examples` resolves it, the
            relative paths where the benchmark's file usually lies (a list).
        video_id: The benchmark's name for the video.
        question: The bare question, without options or answer instructions.
        options: Option texts in display order (TempCompass caption matching: the option lines, as the
            reference rule needs them); empty for yes/no questions.
        answer: The gold option letter, or ``yes``/``no``.
        category: The benchmark's breakdown (TempCompass dimension, MVBench subtask, ...).
        prompt: The text the model is shown with the video, in the benchmark's own format.
        group: Questions scored together: a Vinoground pair, a forward/reversed clip pair.
        question_type: Vinoground's ``text`` or ``video`` question.
        start, end: The part of the video the question is about, in seconds (TVBench's action_sequence
            and action_localization ask about a ``[start, end]`` window of a longer video, and the
            benchmark's own evaluation samples its frames there); ``None`` for the whole video.
    """

    id: str
    video: Any
    video_id: str
    question: str
    options: list[str]
    answer: str
    category: str
    prompt: str
    group: str = ""
    question_type: str = ""
    start: float | None = None
    end: float | None = None


def _window(row: Mapping[str, Any], row_id: str) -> tuple[float | None, float | None]:
    """``(start, end)`` seconds from a row's ``start``/``end`` columns (either may be missing or null)."""
    bounds = []
    for key in ("start", "end"):
        value = row.get(key)
        if value is None or value == "":
            bounds.append(None)
            continue
        try:
            bounds.append(float(value))
        except (TypeError, ValueError):
            raise InvalidRow(f"{row_id}: {key} {value!r} is not a time in seconds") from None
    start, end = bounds
    if start is not None and end is not None and end <= start:
        raise InvalidRow(f"{row_id}: its window [{start}, {end}] is empty")
    return start, end


def _digest(*parts: Any) -> str:
    """A short content hash, for ids of benchmarks whose rows have none."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _letter_for(index: int, options: Sequence[str], row_id: str) -> str:
    if not 0 <= index < len(options):
        raise InvalidRow(f"{row_id}: answer index {index} is outside its {len(options)} options")
    return LETTERS[index]


def _lettered(options: Sequence[str]) -> list[str]:
    return [f"{LETTERS[i]}. {text}" for i, text in enumerate(options)]


_LETTERED_LINE = re.compile(r"^\(?([A-Z])[.)]\s*(.*)$")


class BenchmarkAdapter(ABC):
    """How one benchmark's rows become :class:`EvalExample` rows, and how they are scored.

    Subclasses set the class attributes and implement :meth:`normalize`. ``video_root`` is the folder of
    unpacked videos (Vinoground also reads its questions there).
    """

    name: ClassVar[str]
    hub_id: ClassVar[str | None]
    split: ClassVar[str]
    #: Hub config when the benchmark is one config of its repo (TempCompass's "multi-choice").
    config: ClassVar[str | None] = None
    #: Hub configs that are each a category (MVBench's 20 subtasks); empty for single-config benchmarks.
    subsets: ClassVar[tuple[str, ...]] = ()
    hub_kwargs: ClassVar[dict[str, Any]] = {}
    #: Which metric scores it, and (temporal_mcq) under which benchmark's answer rule.
    metric: ClassVar[str] = "temporal_mcq"
    rule: ClassVar[str] = "generic"
    max_new_tokens: ClassVar[int] = 32
    #: The folder under ``$HF_HOME`` where lmms-eval unpacks this benchmark's videos.
    lmms_eval_videos: ClassVar[str | None] = None
    #: Which columns a row must have (checked once, so a wrong schema fails with one clear message).
    columns: ClassVar[tuple[str, ...]] = ()
    #: The model-index entry its scores go under: the Hub's benchmark name and this task's metric prefix.
    card_name: ClassVar[str]
    card_prefix: ClassVar[str] = ""

    def __init__(self, video_root: Path | None = None):
        self.video_root = video_root

    def video_folder(self, subset: str | None) -> str | None:
        """The folder (relative to the video root) that holds ``subset``'s videos, if the benchmark keeps
        subtasks apart: a file looked up by its name is only taken from there, since two subtasks may
        hold different files of the same name. ``None``: anywhere under the root."""
        return None

    def missing_video_hint(self, subset: str | None) -> str:
        """What to do when ``subset``'s videos are not where they should be (shown with the error)."""
        revision = self.hub_kwargs.get("revision")
        return (
            f"download the videos with `hf download {self.hub_id} --repo-type dataset"
            + (f" --revision {revision}" if revision else "")
            + " --local-dir DIR`, unzip them there and pass --video-dir DIR"
            if self.hub_id
            else ""
        )

    @abstractmethod
    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        """The row in the common schema; :class:`InvalidRow` when its answer is not one of its options."""

    def likelihood_inputs(self, example: EvalExample) -> tuple[str, list[str], list[str]]:
        """What ``--scoring likelihood`` compares: ``(prompt, continuations, labels)``.

        The continuations are the option texts after the bare question (a model trained on free answers
        has never seen the letter format); ``labels[i]`` is what choosing continuation ``i`` answers.
        """
        if example.answer in YES_NO:
            return example.question, list(YES_NO), list(YES_NO)
        return example.question, list(example.options), list(LETTERS[: len(example.options)])

    def rows(
        self, source: str, subsets: Sequence[str | None], split: str
    ) -> Iterator[tuple[str | None, Mapping]]:
        """``(subset, row)`` for every row of the benchmark at ``source`` (Hub id or local folder)."""
        import datasets

        kwargs = {} if os.path.exists(source) else dict(self.hub_kwargs)
        for subset in subsets:
            try:
                table = datasets.load_dataset(source, subset, split=split, **kwargs)
            except (ValueError, FileNotFoundError, ConnectionError) as exc:
                raise ValueError(
                    f"could not load {self.name} (config {subset!r}, split {split!r}) from {source}: {exc}"
                    + (
                        " (offline? pass a local copy with --data)"
                        if isinstance(exc, ConnectionError)
                        else ""
                    )
                ) from exc
            self._check_columns(table.column_names, source)
            for row in table:
                yield (subset if self.subsets else None), row

    def _check_columns(self, present: Sequence[str], source: str) -> None:
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise ValueError(
                f"{source} does not have {self.name}'s schema: columns {missing} are missing (it has "
                f"{list(present)}; {self.name} rows have {list(self.columns)})"
            )


# ---------------------------------------------------------------------------------------------- TempCompass


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


# ------------------------------------------------------------------------------------------- MVBench, TVBench

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


# ---------------------------------------------------------------------------------------------- Video-MME

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


# --------------------------------------------------------------------------------------------- Vinoground


class Vinoground(BenchmarkAdapter):
    """``HanSolo9682/Vinoground``, split ``lmmseval``: rows ``index`` (``"<pair>_<pos|neg>_<text|video>"``),
    ``major``, ``minor``. As in lmms-eval, each question's text, video and gold letter come from
    ``vinoground_videos/vinoground_textscore.json`` and
    ``vinoground_videos_concated/vinoground_videoscore.json`` (``idx, video_name, question, GT``) in the
    unpacked video folder; :meth:`rows` joins them in."""

    name = rule = card_name = "vinoground"
    hub_id = "HanSolo9682/Vinoground"
    split = "lmmseval"
    metric = "vinoground"
    max_new_tokens = 16
    lmms_eval_videos = "vinoground"
    columns = ("index", "major", "minor")
    #: Where each question file lies, in the two layouts: lmms-eval's (inside the unpacked video folders)
    #: and the Hub repository's own (``vinoground_textscore.json`` at its root, as Vinoground's eval
    #: scripts read it). Video paths in both are relative to the root.
    score_files: ClassVar[dict[str, tuple[str, ...]]] = {
        "text": ("vinoground_videos/vinoground_textscore.json", "vinoground_textscore.json"),
        "video": ("vinoground_videos_concated/vinoground_videoscore.json", "vinoground_videoscore.json"),
    }

    def rows(
        self, source: str, subsets: Sequence[str | None], split: str
    ) -> Iterator[tuple[str | None, Mapping]]:
        if self.video_root is None:
            raise ValueError("Vinoground's questions live in its video folder; pass the video folder")
        questions = {}
        found: dict[str, str] = {}
        for kind, candidates in self.score_files.items():
            path = next((self.video_root / c for c in candidates if (self.video_root / c).is_file()), None)
            if path is None:
                raise ValueError(
                    f"Vinoground needs its {kind} questions, {' or '.join(candidates)} (lmms-eval's layout or "
                    f"the Hub repository's); neither is under {self.video_root}"
                )
            found[kind] = str(path)
            for entry in json.loads(path.read_text()):
                questions[(entry["idx"], kind)] = entry
        for subset, row in super().rows(source, subsets, split):
            pair, kind = row["index"].rsplit("_", 1)
            if (pair, kind) not in questions:
                raise ValueError(f"Vinoground question {row['index']!r} is not in {found[kind]}")
            yield subset, {**row, **questions[(pair, kind)]}

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        pair, polarity, kind = row["index"].split("_")
        lines = [_LETTERED_LINE.match(line.strip()) for line in row["question"].split("\n")]
        options = [m.group(2) for m in lines if m]
        if [m.group(1) for m in lines if m] != list(LETTERS[: len(options)]):
            options = []  # the options are not lettered lines: score by letter alone
        answer = str(row["GT"]).strip().upper()
        if answer not in ("A", "B"):
            raise InvalidRow(f"{row['index']}: GT {row['GT']!r} is not A or B")
        return EvalExample(
            id=str(row["index"]),
            video=[str(row["video_name"])],
            video_id=f"{pair}_{polarity}",
            question=str(row["question"]),
            options=options,
            answer=answer,
            category=";".join(c for c in (row["major"], row["minor"]) if c),
            prompt=f"{row['question']}\nPlease only output one English character.",
            group=pair,
            question_type=kind,
        )

    def likelihood_inputs(self, example: EvalExample) -> tuple[str, list[str], list[str]]:
        """The letters after the full prompt: Vinoground's question names the options inside its text."""
        return example.prompt, ["A", "B"], ["A", "B"]


# -------------------------------------------------------------------------------------------- Perception Test


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


# --------------------------------------------------------------------------------------------------- NExT-QA

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


# ----------------------------------------------------------------------------------- TimeWarp's own benchmarks

_ANSWER_INSTRUCTION = "\nAnswer with the option's letter from the given choices directly."


class _CommonSchema(BenchmarkAdapter):
    """Rows already in the common schema (``video, video_id, question, options, answer, category``), from a
    ``save_to_disk`` folder, a folder with ``metadata.jsonl`` (``file_name`` relative to it), or the Hub."""

    hub_id = None
    split = "train"
    columns = ("video", "video_id", "question", "options", "answer", "category")

    def rows(
        self, source: str, subsets: Sequence[str | None], split: str
    ) -> Iterator[tuple[str | None, Mapping]]:
        import datasets

        folder = Path(source)
        if (folder / "metadata.jsonl").is_file():
            with open(folder / "metadata.jsonl") as handle:
                records = [json.loads(line) for line in handle if line.strip()]
            for record in records:
                if "file_name" in record:
                    record["video"] = str(folder / record.pop("file_name"))
            if records:
                self._check_columns(list(records[0]), source)
            for record in records:
                yield None, record
            return
        if (folder / "state.json").is_file() or (folder / "dataset_dict.json").is_file():
            table = datasets.load_from_disk(source)
            if isinstance(table, datasets.DatasetDict):
                if split not in table:
                    raise ValueError(f"{source} has splits {list(table)}, not {split!r}; pass --split")
                table = table[split]
        else:
            table = datasets.load_dataset(source, split=split)
        self._check_columns(table.column_names, source)
        if isinstance(table.features.get("video"), datasets.Video):
            table = table.cast_column("video", datasets.Video(decode=False))
        for row in table:
            yield None, row

    def normalize(self, row: Mapping[str, Any], subset: str | None = None) -> EvalExample:
        options = [str(o) for o in row["options"]]
        answer = str(row["answer"]).strip().upper()
        row_id = f"{row['video_id']}/{_digest(row['question'], options)}"
        if answer not in LETTERS[: len(options)]:
            raise InvalidRow(
                f"{row_id}: answer {row['answer']!r} is not a letter of its {len(options)} options"
            )
        question = str(row["question"])
        start, end = _window(row, row_id)
        return EvalExample(
            id=row_id,
            video=row["video"],
            video_id=str(row["video_id"]),
            question=question,
            options=options,
            answer=answer,
            category=str(row["category"]),
            prompt=question + "".join(f"\n{line}" for line in _lettered(options)) + _ANSWER_INSTRUCTION,
            group=str(row.get("pair_id") or ""),
            start=start,
            end=end,
        )


class TimeWarpMCQ(_CommonSchema):
    """The TimeWarp MCQ benchmark (:func:`timewarp_hf.benchmarks.make_mcq_benchmark`, normal or shuffled)."""

    name = card_name = "timewarp_mcq"


class SyntheticTemporal(_CommonSchema):
    """The synthetic temporal benchmark (:func:`timewarp_hf.testing.make_temporal_benchmark`): every clip has
    its exact time reversal (``pair_id``), so pair accuracy (``group_accuracy``) shows order is read."""

    name = card_name = "synthetic_temporal"
    columns = (*_CommonSchema.columns, "pair_id")


ADAPTERS: dict[str, type[BenchmarkAdapter]] = {
    adapter.name: adapter
    for adapter in (
        TempCompassMultiChoice,
        TempCompassYesNo,
        TempCompassCaptionMatching,
        MVBench,
        VideoMME,
        VideoMMENumberOption,
        TVBench,
        Vinoground,
        PerceptionTest,
        NExTQA,
        TimeWarpMCQ,
        SyntheticTemporal,
    )
}


def get_adapter(name: str) -> type[BenchmarkAdapter]:
    """The adapter class of a benchmark name or Hub id, or a ValueError naming the accepted ones."""
    for adapter in ADAPTERS.values():
        if name in (adapter.name, adapter.hub_id):
            return adapter
    raise ValueError(
        f"Unknown benchmark {name!r}; accepted: {', '.join(ADAPTERS)} (or their Hub ids), or the folder of "
        f"a saved TimeWarp MCQ or synthetic temporal benchmark"
    )


def _detect_local(path: Path) -> str:
    """Which of our own benchmarks a local folder holds, from its columns."""
    if (path / "metadata.jsonl").is_file():
        with open(path / "metadata.jsonl") as handle:
            first = handle.readline()
        columns = set(json.loads(first)) if first.strip() else set()
    elif (path / "dataset_info.json").is_file():
        columns = set(json.loads((path / "dataset_info.json").read_text()).get("features", {}))
    elif (path / "dataset_dict.json").is_file():
        split = json.loads((path / "dataset_dict.json").read_text())["splits"][0]
        columns = set(json.loads((path / split / "dataset_info.json").read_text()).get("features", {}))
    else:
        columns = set()
    if "pair_id" in columns and "temporal" in columns:
        return SyntheticTemporal.name
    if {"question", "options", "answer"} <= columns:
        return TimeWarpMCQ.name
    raise ValueError(
        f"cannot tell which benchmark {path} holds (columns: {sorted(columns) or 'none found'}); for a local "
        f"copy of a real benchmark pass --benchmark NAME --data {path} (names: {', '.join(ADAPTERS)})"
    )


def resolve_benchmark(benchmark: str, data: str | None = None) -> tuple[type[BenchmarkAdapter], str]:
    """``(adapter class, source)`` for ``--benchmark NAME_OR_PATH [--data PATH_OR_ID]``.

    A name loads from ``data`` when given, else from the benchmark's real Hub id; an existing folder is one
    of our own benchmarks, recognised by its columns.
    """
    local = os.path.expanduser(benchmark)
    if os.path.isdir(local):
        if data is not None:
            raise ValueError("give the benchmark's folder either as --benchmark PATH or as --data, not both")
        return ADAPTERS[_detect_local(Path(local))], local
    adapter = get_adapter(benchmark)
    if data is None:
        if adapter.hub_id is None:
            raise ValueError(
                f"{adapter.name} has no Hub copy: pass the folder it was saved to (--benchmark PATH, or "
                f"--data PATH)"
            )
        return adapter, adapter.hub_id
    if data.startswith((".", "/", "~")) and not os.path.exists(os.path.expanduser(data)):
        raise ValueError(f"--data {data}: no such folder")
    return adapter, os.path.expanduser(data)


def default_video_root(adapter: type[BenchmarkAdapter], source: str) -> Path | None:
    """Where the videos are when no folder is given: next to a local copy, else where lmms-eval unpacks them
    (``$HF_HOME/<folder>``), so a machine that ran lmms-eval needs no download."""
    if adapter.lmms_eval_videos is None:
        return None
    if os.path.isdir(source):
        return Path(source)
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(hf_home) / adapter.lmms_eval_videos


class _VideoFinder:
    """Finds a benchmark's video under one folder: at the paths the benchmark uses, else by file name
    below (an index built once, only when a file is not where expected). With a subtask ``folder``, a
    file found by name must lie in a folder of that name (``.../star/Charades_segment/x.mp4``): two
    subtasks may hold different clips under one file name."""

    def __init__(self, root: Path):
        self.root = root
        self._by_name: dict[str, list[str]] | None = None

    def find(self, candidates: Sequence[str], folder: str | None = None) -> str | None:
        for candidate in candidates:
            if (self.root / candidate).is_file():
                return str(self.root / candidate)
        if self._by_name is None:
            from ..video import find_videos

            self._by_name = {}
            for path in find_videos(self.root):
                self._by_name.setdefault(os.path.basename(path), []).append(path)
        # The subtask's folder, else its top-level folder (an archive unpacked one level flatter:
        # clevrer/video_10009.mp4 for clevrer/video_validation/video_10009.mp4), never another's.
        folder = folder.strip("/") if folder else ""
        insides = [f"/{folder}/", f"/{folder.split('/')[0]}/"] if folder else ["/"]
        for inside in insides:
            for candidate in candidates:
                for path in self._by_name.get(os.path.basename(candidate), []):
                    relative = "/" + Path(os.path.relpath(path, self.root)).as_posix()
                    if inside in relative:
                        return path
        return None

    def __call__(self, candidates: Sequence[str], folder: str | None = None) -> str:
        found = self.find(candidates, folder)
        return found if found is not None else str(self.root / candidates[0])  # missing: counted later


@dataclass
class LoadedBenchmark:
    """A benchmark's examples in order, with what loading them skipped."""

    adapter: BenchmarkAdapter
    source: str
    examples: list[EvalExample]
    invalid_rows: int
    video_root: Path | None
    #: Rows the source holds (before skipping invalid ones): benchmarks have several Hub revisions of
    #: different sizes (Video-MME: 2,700, 2,541, 2,544), so a score says how many it was out of.
    rows: int = 0
    #: Category -> how many of its videos are not in the video folder, and what to do about it.
    missing_videos: dict[str, int] = field(default_factory=dict)
    missing_video_hints: dict[str, str] = field(default_factory=dict)


def load_examples(
    adapter_class: type[BenchmarkAdapter],
    source: str,
    *,
    subsets: Sequence[str] | None = None,
    split: str | None = None,
    video_dir: str | os.PathLike | None = None,
) -> LoadedBenchmark:
    """Load and normalise a benchmark.

    Args:
        adapter_class: From :func:`resolve_benchmark` or :data:`ADAPTERS`.
        source: The real Hub id, or a local folder in the same layout (or a saved dataset of our own).
        subsets: Subtask configs to load (MVBench, TVBench); default all the source has.
        split: Overrides the benchmark's split.
        video_dir: The folder with the unpacked videos (default :func:`default_video_root`).

    Rows whose answer is not among their options are skipped and counted (``invalid_rows``); a source
    without the benchmark's columns, or with no valid row, raises ``ValueError``.
    """
    root = Path(video_dir) if video_dir is not None else default_video_root(adapter_class, source)
    if adapter_class.lmms_eval_videos is not None and (root is None or not root.is_dir()):
        raise ValueError(
            f"{adapter_class.name} keeps its videos outside the table and the video folder {root} does not "
            f"exist: download and unpack them (lmms-eval puts them in $HF_HOME/{adapter_class.lmms_eval_videos}"
            f"; e.g. `hf download {adapter_class.hub_id} --repo-type dataset"
            + (
                f" --revision {adapter_class.hub_kwargs['revision']}"
                if "revision" in adapter_class.hub_kwargs
                else ""
            )
            + " --local-dir DIR`, unzip) and pass --video-dir DIR"
        )
    adapter = adapter_class(root)
    chosen = _choose_subsets(adapter_class, source, subsets)
    finder = _VideoFinder(root) if root is not None else None
    examples, invalid, reasons, rows = [], 0, [], 0
    missing: Counter[str] = Counter()
    hints: dict[str, str] = {}
    for subset, row in adapter.rows(source, chosen, split or adapter_class.split):
        rows += 1
        try:
            example = adapter.normalize(row, subset)
        except InvalidRow as exc:
            invalid += 1
            reasons.append(str(exc))
            continue
        if finder is not None and isinstance(example.video, list):
            found = finder.find(example.video, adapter.video_folder(subset))
            if found is None:
                key = subset or example.category or adapter.name
                missing[key] += 1
                hints.setdefault(key, adapter.missing_video_hint(subset))
                found = str(finder.root / example.video[0])  # counted again when decoding fails
            example.video = found
        examples.append(example)
    for key, count in missing.items():
        logger.warning("%s: %d %s video(s) are not under %s: %s", adapter.name, count, key, root, hints[key])
    if invalid:
        logger.warning(
            "%s: skipped %d row(s) that cannot be scored, e.g. %s", adapter.name, invalid, reasons[0]
        )
    if not examples:
        raise ValueError(
            f"{source} has no scorable {adapter.name} question" + (f" ({reasons[0]})" if reasons else "")
        )
    seen: Counter[str] = Counter()
    for example in examples:  # identical questions on one video: keep both, with distinct ids
        seen[example.id] += 1
        if seen[example.id] > 1:
            example.id = f"{example.id}#{seen[example.id]}"
    return LoadedBenchmark(adapter, source, examples, invalid, root, rows, dict(missing), hints)


def _choose_subsets(
    adapter: type[BenchmarkAdapter], source: str, requested: Sequence[str] | None
) -> list[str | None]:
    if not adapter.subsets:
        if requested:
            raise ValueError(f"{adapter.name} has no subsets to choose (--subset is for MVBench and TVBench)")
        return [adapter.config]
    unknown = [s for s in requested or () if s not in adapter.subsets]
    if unknown:
        raise ValueError(
            f"unknown {adapter.name} subset(s) {unknown}; accepted: {', '.join(adapter.subsets)}"
        )
    if requested:
        return list(requested)
    import datasets

    kwargs = {} if os.path.exists(source) else dict(adapter.hub_kwargs)
    try:
        available = set(datasets.get_dataset_config_names(source, **kwargs))
    except (FileNotFoundError, ConnectionError) as exc:
        raise ValueError(
            f"could not list {adapter.name}'s configs at {source}: {exc} (offline? pass a local copy with --data)"
        ) from exc
    chosen = [s for s in adapter.subsets if s in available]
    if not chosen:
        raise ValueError(
            f"{source} has none of {adapter.name}'s subsets as configs (it has {sorted(available)}); "
            f"expected some of: {', '.join(adapter.subsets)}"
        )
    return chosen
