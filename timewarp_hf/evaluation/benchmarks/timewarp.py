"""TimeWarp's own benchmarks, already in the common schema: the MCQ benchmark and the synthetic
temporal benchmark; scored with the ``generic`` rule (no lmms-eval counterpart)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from timewarp_hf.metrics.rules import LETTERS, BenchmarkRule

from .base import BenchmarkAdapter, EvalExample, InvalidRow, _digest, _lettered, _window

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


RULES = (
    BenchmarkRule("generic", "choice", 5, None),
)  # fmt: skip
