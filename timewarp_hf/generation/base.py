"""The one interface every generation backend implements: a batch of requests in, texts out.

A request is chat messages (OpenAI/transformers style, content as a list of ``text``/``video`` parts) and,
for a Video-LLM, the frames to show in place of the ``video`` part. Recipes build requests; backends run
them (a local model in batches, or a served model with bounded concurrency); :class:`CachedBackend` puts an
on-disk response cache in front of any backend, so an interrupted build re-run pays for no finished call.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["GenerationBackend", "GenerationRequest", "fingerprint_frames"]


@dataclass
class GenerationRequest:
    """One call: ``messages`` (the ``video`` part, if any, stands for ``frames``) and the frames themselves.

    ``frames`` is uint8 ``(T, C, H, W)`` in the order the model must see them (a warped order for a
    rejected answer); ``fps`` is the rate the frames are presented at, for models that encode time.
    """

    messages: list[dict[str, Any]]
    frames: torch.Tensor | None = None
    fps: float | None = None
    max_new_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A stable hash of everything that determines the answer, for the response cache."""
        digest = hashlib.sha256()
        digest.update(json.dumps(self.messages, sort_keys=True, default=str).encode())
        digest.update(
            json.dumps([self.fps, self.max_new_tokens, self.extra], sort_keys=True, default=str).encode()
        )
        digest.update(fingerprint_frames(self.frames).encode())
        return digest.hexdigest()


def fingerprint_frames(frames: torch.Tensor | None) -> str:
    """Hash of a frame tensor's shape and bytes ("none" for a text-only request)."""
    if frames is None:
        return "none"
    tensor = frames.contiguous().cpu()
    digest = hashlib.sha256(str(tuple(tensor.shape)).encode())
    digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


class GenerationBackend(ABC):
    """Turns requests into texts. Subclasses set ``name`` and ``model_id`` and implement :meth:`generate`."""

    name: str = "backend"
    model_id: str = ""
    supports_video: bool = True

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """Answer every request, in order."""

    def cache_namespace(self) -> dict[str, Any]:
        """What, besides the request, determines an answer (backend, model, generation parameters)."""
        return {"backend": self.name, "model": self.model_id}

    def describe(self) -> str:
        """``backend:model`` for provenance columns and cards (never holds a secret)."""
        return f"{self.name}:{self.model_id}"
