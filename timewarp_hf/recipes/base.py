"""What every recipe shares: the prepared video, the draft pair, the context, and message builders.

A recipe turns a chunk of prepared videos into draft pairs (question, chosen, rejected, what was warped).
It builds all its generation requests for the chunk first and sends them in as few batched calls as it
can; the pipeline then filters drafts and writes records.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..config import TimeWarpConfig
from ..generation import GenerationBackend
from ..sources import BaseExample
from ..video import Frames, Scene

__all__ = ["Draft", "PreparedVideo", "RecipeContext", "frame_change", "text_messages", "video_messages"]


@dataclass
class PreparedVideo:
    """A base video after decoding: its sampled frames, scenes (seconds) and scene frame ranges."""

    example: BaseExample
    frames: Frames
    scenes: list[Scene] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    scene_frames: list[Any] = field(default_factory=list)  # per-scene frame tensors, for captioning

    @property
    def presentation_fps(self) -> float:
        """The rate of the sampled frames, i.e. the fps of the clip the model is shown."""
        return self.frames.presentation_fps


@dataclass
class Draft:
    """A candidate pair before filtering.

    ``pair_type`` is ``answer_contrast`` (two answers, both trained with the true video) or
    ``video_contrast`` (one answer, ``chosen == rejected``, the rejected side trained with the frames in
    ``rejected_indices``, the warped order).
    """

    video: PreparedVideo
    question: str
    chosen: str | None
    rejected: str | None
    warp: dict[str, Any]
    generator: str
    seed: int
    pair_type: str = "answer_contrast"
    rejected_indices: list[int] | None = None


@dataclass
class RecipeContext:
    """What a recipe may use: the config, the backends, and the build's counters."""

    config: TimeWarpConfig
    captioner: GenerationBackend | None
    generator: GenerationBackend | None
    counters: Counter

    def seed_for(self, video: PreparedVideo, purpose: str = "") -> int:
        """A per-video seed derived from the build seed, stable across runs and processes."""
        key = f"{self.config.seed}:{video.example.video_id}:{purpose}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:4], "big")

    def rng_for(self, video: PreparedVideo, purpose: str) -> random.Random:
        return random.Random(self.seed_for(video, purpose))


def frame_change(true_frames: Any, warped_frames: Any) -> float:
    """Mean absolute difference, 0..1 of the pixel range, between two frame sequences, position by position.

    Order-aware on purpose: a reversed clip of a moving square differs at almost every position even
    though it holds the same frames, while a reversed *static* clip does not differ at all, which is what
    makes its "rejected" answer a fake reject. Sequences of different lengths (``frame_drop``, ``speed``)
    are compared on a common timeline of ``max(len)`` positions, each side showing the frame it would show
    at that point of its own playback. Frames are uint8 ``(T, C, H, W)`` tensors of one size.
    """
    import torch

    n, m = len(true_frames), len(warped_frames)
    if not n or not m:
        return 0.0
    length = max(n, m)
    a = true_frames[[k * n // length for k in range(length)]].to(torch.int16)
    b = warped_frames[[k * m // length for k in range(length)]].to(torch.int16)
    return float((a - b).abs().float().mean()) / 255.0


def video_messages(question: str) -> list[dict[str, Any]]:
    """A user turn holding the video and a question, in the dataset's conversational schema."""
    return [
        {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": question}]}
    ]


def text_messages(prompt: str) -> list[dict[str, Any]]:
    """A plain text user turn (string content: every chat template accepts it)."""
    return [{"role": "user", "content": prompt}]
