"""The TimeWarp MCQ benchmark, in its normal and shuffled variants, from explicit-recipe pairs.

The original authors turned each video's temporal QA into four-option multiple-choice questions: the
*normal* benchmark's gold option is the answer from the captions in true order, the *shuffled* benchmark's
is the answer the same LLM gave from the shuffled captions. A model that reads time from the frames should
score high on the normal and low on the shuffled variant; one that follows language priors cannot tell
them apart. We build both deterministically from the pairs (no extra LLM call): the options are the true
answer, the shuffled-order answer and answers to the video's other questions, in a seeded order.
Rows follow the common evaluation schema: ``video, video_id, question, options, answer, category``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import datasets

from .export import message_text

__all__ = ["VARIANTS", "make_mcq_benchmark"]

VARIANTS = ("normal", "shuffled")
LETTERS = "ABCDEFGH"


def make_mcq_benchmark(
    pairs: datasets.Dataset, variant: str = "normal", *, num_options: int = 4, seed: int = 0
) -> datasets.Dataset:
    """Multiple-choice rows from ``explicit`` pairs; questions without enough distinct options are skipped."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if not 2 <= num_options <= len(LETTERS):
        raise ValueError(f"num_options must be in [2, {len(LETTERS)}], got {num_options}")
    plain = pairs.cast_column("video", datasets.Video(decode=False))
    by_video: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in plain:
        if row["recipe"] == "explicit":
            by_video[row["video_id"]].append(row)
    rows = []
    for video_id, group in by_video.items():
        for k, row in enumerate(group):
            true, shuffled = message_text(row["chosen"]), message_text(row["rejected"])
            others = [message_text(g["chosen"]) for j, g in enumerate(group) if j != k]
            options = list(dict.fromkeys([true, shuffled, *others]))[:num_options]
            if len(options) < num_options:
                continue
            random.Random(f"{seed}:{video_id}:{k}").shuffle(options)
            gold = true if variant == "normal" else shuffled
            rows.append(
                {
                    "video": row["video"],
                    "video_id": video_id,
                    "question": message_text(row["prompt"]),
                    "options": options,
                    "answer": LETTERS[options.index(gold)],
                    "category": f"timewarp_{variant}",
                }
            )
    features = datasets.Features(
        {
            "video": datasets.Video(),
            "video_id": datasets.Value("string"),
            "question": datasets.Value("string"),
            "options": datasets.List(datasets.Value("string")),
            "answer": datasets.Value("string"),
            "category": datasets.Value("string"),
        }
    )
    return datasets.Dataset.from_list(rows, features=features)
