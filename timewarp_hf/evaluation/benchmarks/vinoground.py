"""Vinoground (``HanSolo9682/Vinoground``): counterfactual caption/video pairs scored by the
``vinoground`` metric; lmms-eval's ``tasks/vinoground``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from timewarp_hf.metrics.rules import LETTERS, _first_character

from .base import _LETTERED_LINE, BenchmarkAdapter, EvalExample, InvalidRow


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


def reference_vinoground(prediction: str, options: Sequence[str]) -> str | None:
    """``vinoground_aggregate_results``: ``pred[0].lower() == GT.lower()`` (an empty output crashes
    lmms-eval, here it is no answer)."""
    return _first_character(prediction, options, 2)
