"""Exporters for users of the original TimeWarp / LLaVA-Hound code.

The original training code reads the LLaVA-Hound DPO JSON schema: ``id, video, prompt, answer, chosen,
chosen_score, rejected, rejected_score``. The original filled the scores with random numbers that the DPO
loss never reads; we write constants (1.0 and 0.0) so the file is reproducible.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import datasets

__all__ = ["message_text", "to_llava_hound", "write_llava_hound"]


def message_text(messages: list[dict[str, Any]]) -> str:
    """The text parts of a message list, joined (the video part has none)."""
    return " ".join(
        p["text"] for m in messages for p in m["content"] if p.get("type") == "text" and p.get("text")
    )


def to_llava_hound(pairs: datasets.Dataset) -> list[dict[str, Any]]:
    """Records in the LLaVA-Hound schema; ``video`` is the video's path (or its id when stored as bytes)."""
    plain = (
        pairs.cast_column("video", datasets.Video(decode=False)) if "video" in pairs.column_names else pairs
    )
    counts: dict[str, int] = defaultdict(int)
    records = []
    for row in plain:
        video = row.get("video") or {}
        index = counts[row["video_id"]]
        counts[row["video_id"]] += 1
        chosen = message_text(row["chosen"])
        records.append(
            {
                "id": f"{row['video_id']}_{index}",
                "video": video.get("path") or row["video_id"],
                "prompt": message_text(row["prompt"]),
                "answer": chosen,
                "chosen": chosen,
                "chosen_score": 1.0,
                "rejected": message_text(row["rejected"]),
                "rejected_score": 0.0,
            }
        )
    return records


def write_llava_hound(pairs: datasets.Dataset, path: str | os.PathLike) -> int:
    """Write :func:`to_llava_hound` records as a JSON list; returns the number written."""
    records = to_llava_hound(pairs)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(records, handle, ensure_ascii=False, indent=1)
    return len(records)
