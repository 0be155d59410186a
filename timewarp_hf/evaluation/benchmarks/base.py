"""What every benchmark module builds on: the common evaluation schema and the adapter interface.

A benchmark's module (one per benchmark, as lmms-eval keeps one ``tasks/<benchmark>/`` folder each)
holds its Hub schema and an adapter (:class:`BenchmarkAdapter`) that turns a row into an
:class:`EvalExample`, the prompt lmms-eval shows for it, and its answer rules (``RULES``: how the
metrics read and count its answers, the lmms-eval port included).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from timewarp_hf.metrics.rules import LETTERS

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
