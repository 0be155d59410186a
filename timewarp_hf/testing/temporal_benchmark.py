"""A procedurally generated video benchmark whose answers depend only on time.

The paper's claim is that TimeWarp training makes a Video-LLM read temporal order from the frames. To test
that claim in miniature, every temporal clip here comes in a pair with its exact time reversal (the same
frames, bit for bit, in the opposite order, encoded losslessly), and the pair's answers differ: a single
frame, or the bag of frames, carries no cue, so only order can beat chance. Question types:

* ``direction``: which way a square moves (left to right / right to left);
* ``event_order``: which colour the screen shows first;
* ``next_event``: which colour comes right after a named one;
* ``playback``: a falling object, played forwards (falls, speeding up) or backwards (rises, slowing down);
* ``speed_change``: does the square speed up or slow down;
* ``repetitions``: how many times the screen flashes (a temporal question that order does not change,
  reported separately);
* ``appearance`` (the control): what colour the square is, answerable from any one frame, so gains from
  temporal training can be told apart from general changes.

Every clip comes with scene captions in true order (the explicit recipe's input). Train and test splits
never share a clip: they differ in seed, layout (square size and lane) and square colours; the colours of
screen events are shared, since naming a colour the model never saw is not a temporal skill.
Rows follow the common evaluation schema ``video, video_id, question, options, answer, category`` plus
``scenes`` (captions with times), ``temporal`` (does the answer depend on order) and ``pair_id``.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np

from ..constants import ORDER_DEPENDENT_TYPES
from ..sources import SCENES_FEATURE

__all__ = ["QUESTION_TYPES", "make_temporal_benchmark", "write_lossless_video"]

QUESTION_TYPES = (
    "direction",
    "event_order",
    "next_event",
    "playback",
    "speed_change",
    "repetitions",
    "appearance",
)
ORDER_DEPENDENT = set(ORDER_DEPENDENT_TYPES)
EVENT_COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 80, 230),
    "yellow": (230, 210, 40),
    "purple": (160, 60, 200),
    "cyan": (40, 200, 210),
}
_SQUARE_COLOURS = {
    "train": {"white": (245, 245, 245), "orange": (240, 140, 30), "pink": (240, 120, 180)},
    "test": {"lime": (170, 240, 60), "teal": (30, 150, 140), "gray": (150, 150, 150)},
}
_SPLIT_SEEDS = {"train": 1234, "test": 98765}
LETTERS = "ABCDEFGH"


def write_lossless_video(
    path: str | os.PathLike, frames: np.ndarray, fps: float = 8, *, browser: bool = False
) -> Path:
    """Encode ``(T, H, W, 3)`` uint8 frames losslessly (H.264 qp 0, 4:4:4), so decoded frames are exact.

    Browsers read libx264rgb's planes as YUV and show the clip green; ``browser=True`` encodes 4:4:4 YUV at
    qp 0 instead, which browsers show in true colours and which decodes to within 1 of every RGB value
    (the colour conversion's rounding): for clips a person watches, e.g. the demo's samples.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264" if browser else "libx264rgb", rate=int(fps))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv444p" if browser else "rgb24"
        stream.options = {"qp": "0", "g": "1"}
        for frame in frames:
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            ):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


class _Canvas:
    def __init__(self, rng: random.Random, split: str, size: int, num_frames: int):
        self.rng, self.split, self.size, self.n = rng, split, size, num_frames
        shade = 10 if split == "train" else 30
        self.background = np.array([shade, shade, shade + 10], np.uint8)
        self.side = rng.randint(6, 10) if split == "train" else rng.randint(11, 14)
        lanes = (0.25, 0.5) if split == "train" else (0.4, 0.7)
        self.lane = int(rng.uniform(*lanes) * (size - self.side))
        self.square_name, self.square_rgb = rng.choice(sorted(_SQUARE_COLOURS[split].items()))

    def blank(self) -> np.ndarray:
        frames = np.empty((self.n, self.size, self.size, 3), np.uint8)
        frames[:] = self.background
        return frames

    def square(self, frame: np.ndarray, x: float, y: float) -> None:
        x, y = int(round(x)), int(round(y))
        frame[y : y + self.side, x : x + self.side] = self.square_rgb


def _moving(c: _Canvas, positions: Sequence[float], vertical: bool = False) -> np.ndarray:
    frames = c.blank()
    for k, p in enumerate(positions):
        c.square(frames[k], c.lane if vertical else p, p if vertical else c.lane)
    return frames


def _where(position: float, c: _Canvas) -> str:
    third = (c.size - c.side) / 3
    return (
        "on the left" if position < third else ("in the middle" if position < 2 * third else "on the right")
    )


def _scenes(captions: Sequence[str], fps: float) -> list[dict[str, Any]]:
    """Scene spans in seconds from per-frame captions: each run of equal captions is one scene, written as
    ``{"start", "end", "caption"}`` (a schema ``datasets``' ``videofolder`` reads)."""
    runs: list[dict[str, Any]] = []
    for k, caption in enumerate(captions):
        if runs and runs[-1]["caption"] == caption:
            runs[-1]["end"] = round((k + 1) / fps, 4)
        else:
            runs.append({"start": round(k / fps, 4), "end": round((k + 1) / fps, 4), "caption": caption})
    return runs


def _base_clip(kind: str, c: _Canvas) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """A forward clip of ``kind``, its per-frame captions and what a question needs to know about it."""
    n, travel = c.n, c.size - c.side
    rng = c.rng
    if kind in ("direction", "appearance"):
        start, span = rng.uniform(0, travel * 0.2), rng.uniform(travel * 0.6, travel * 0.8)
        positions = [start + span * k / (n - 1) for k in range(n)]
        captions = [f"the {c.square_name} square is {_where(p, c)}" for p in positions]
        return _moving(c, positions), captions, {}
    if kind in ("event_order", "next_event"):
        names = rng.sample(sorted(EVENT_COLOURS), 3)
        frames = c.blank()
        cuts = [0, n // 3, 2 * n // 3, n]
        margin = c.side // 2  # a split-specific frame of background keeps the splits' clips distinct
        for s, name in enumerate(names):
            frames[cuts[s] : cuts[s + 1], margin:-margin, margin:-margin] = EVENT_COLOURS[name]
        captions = [f"the screen turns {names[s]}" for s in range(3) for _ in range(cuts[s + 1] - cuts[s])]
        return frames, captions, {"colours": names}
    if kind == "playback":
        positions = [travel * (k / (n - 1)) ** 2 for k in range(n)]  # a fall: slow at the top, fast below
        captions = [
            f"the {c.square_name} square is " + ("at the top" if p < travel / 2 else "at the bottom")
            for p in positions
        ]
        return _moving(c, positions, vertical=True), captions, {}
    if kind == "speed_change":
        positions = [travel * 0.9 * (k / (n - 1)) ** 2 for k in range(n)]  # accelerating to the right
        captions = [
            f"the {c.square_name} square moves " + ("slowly" if k < n // 2 else "quickly") for k in range(n)
        ]
        return _moving(c, positions), captions, {}
    if kind == "repetitions":
        count = rng.randint(1, 3)
        frames = c.blank()
        flashes = sorted(rng.sample(range(1, n - 1, 2), count))
        for k in flashes:
            frames[k] = 235
        captions, flash, pause = [], 0, 0
        for k in range(n):  # numbered, so every scene caption is distinct
            if k in flashes:
                flash += 1
                captions.append(f"the screen flashes white (flash {flash})")
            else:
                pause += 1 if not captions or "flash" in captions[-1] else 0
                captions.append(f"the screen is dark (pause {pause})")
        return frames, captions, {"count": count}
    raise ValueError(f"unknown question type {kind!r}; accepted: {', '.join(QUESTION_TYPES)}")


def _question(kind: str, forward: bool, info: dict[str, Any], c: _Canvas) -> tuple[str, list[str], str]:
    if kind == "direction":
        return (
            "In which direction does the square move?",
            ["left to right", "right to left"],
            "left to right" if forward else "right to left",
        )
    if kind == "event_order":
        colours = info["colours"] if forward else info["colours"][::-1]
        options = sorted(info["colours"])
        return "Which colour does the screen show first?", options, colours[0]
    if kind == "next_event":
        colours = info["colours"] if forward else info["colours"][::-1]
        anchor = info["colours"][1]  # the middle colour: its successor flips under reversal
        options = sorted(x for x in info["colours"] if x != anchor)
        return f"Which colour comes right after {anchor}?", options, colours[colours.index(anchor) + 1]
    if kind == "playback":
        return (
            "Is the video played forwards or backwards?",
            ["forwards", "backwards"],
            "forwards" if forward else "backwards",
        )
    if kind == "speed_change":
        return (
            "Does the square speed up or slow down?",
            ["speeds up", "slows down"],
            "speeds up" if forward else "slows down",
        )
    if kind == "repetitions":
        return (
            "How many times does the screen flash?",
            ["once", "twice", "three times"],
            ["once", "twice", "three times"][info["count"] - 1],
        )
    options = sorted(_SQUARE_COLOURS[c.split])
    return "What colour is the square?", options, c.square_name


def make_temporal_benchmark(
    output_dir: str | os.PathLike,
    split: str = "train",
    *,
    pairs_per_type: int = 8,
    question_types: Sequence[str] = QUESTION_TYPES,
    size: int = 56,
    num_frames: int = 8,
    fps: int = 8,
    seed: int | None = None,
):
    """Write the split's clips and ``metadata.jsonl`` into ``output_dir``; return the rows as a Dataset.

    Each question type gets ``pairs_per_type`` forward clips and their exact reversals. ``metadata.jsonl``
    has ``file_name`` and ``scenes`` (so the folder is a ``timewarp`` builder base for the explicit recipe)
    plus the question fields.
    """
    import datasets

    if split not in _SPLIT_SEEDS:
        raise ValueError(f"split must be one of {', '.join(_SPLIT_SEEDS)}, got {split!r}")
    unknown = set(question_types) - set(QUESTION_TYPES)
    if unknown:
        raise ValueError(f"unknown question types {sorted(unknown)}; accepted: {', '.join(QUESTION_TYPES)}")
    if num_frames < 6 or size < 32:
        raise ValueError("need num_frames >= 6 and size >= 32 for the events to be drawn")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(_SPLIT_SEEDS[split] if seed is None else seed)
    rows = []
    for kind in question_types:
        for p in range(pairs_per_type):
            canvas = _Canvas(rng, split, size, num_frames)
            frames, captions, info = _base_clip(kind, canvas)
            pair_id = f"{split}-{kind}-{p:03d}"
            for forward in (True, False):
                clip = frames if forward else frames[::-1]
                clip_captions = captions if forward else captions[::-1]
                question, options, answer = _question(kind, forward, info, canvas)
                # No split word in file names: `datasets` would read "test-..." as a split of its own and
                # leave metadata.jsonl (the "train" split) out of it. The ids keep the split.
                stem = f"{kind}-{p:03d}-{'fwd' if forward else 'rev'}"
                name = f"{stem}.mp4"
                write_lossless_video(out / name, clip, fps)
                rows.append(
                    {
                        "file_name": name,
                        "video_id": f"{split}-{stem}",
                        "pair_id": pair_id,
                        "category": kind,
                        "temporal": kind in ORDER_DEPENDENT,
                        "question": question,
                        "options": options,
                        "answer": LETTERS[options.index(answer)],
                        "answer_text": answer,
                        "scenes": _scenes(clip_captions, fps),
                    }
                )
    with open(out / "metadata.jsonl", "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    records = [
        {
            **{k: v for k, v in row.items() if k != "file_name"},
            "video": str(out / row["file_name"]),
        }
        for row in rows
    ]
    features = datasets.Features(
        {
            "video": datasets.Video(),
            "video_id": datasets.Value("string"),
            "pair_id": datasets.Value("string"),
            "category": datasets.Value("string"),
            "temporal": datasets.Value("bool"),
            "question": datasets.Value("string"),
            "options": datasets.List(datasets.Value("string")),
            "answer": datasets.Value("string"),
            "answer_text": datasets.Value("string"),
            "scenes": SCENES_FEATURE,
        }
    )
    return datasets.Dataset.from_list(records, features=features)
