"""Appearance corruptions for the ``implicit`` recipe (STIC-style), on decoded frames.

The implicit recipe's rejected answer is the model describing frames whose *appearance* is degraded while
their order is intact: an extreme downscale (to 20 px on the short side and back, as STIC and the original
TimeWarp code do with ``Resize(20)``) or a colour jitter (brightness 0.5, hue 0.3). Each corruption is a
seeded function of a uint8 ``(T, C, H, W)`` tensor; the same draw applies to every frame, so the clip stays
temporally coherent, and the drawn parameters are returned for provenance.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torchvision.transforms.v2.functional as F

__all__ = ["CORRUPTIONS", "CorruptionResult", "apply_corruption", "color_jitter", "downscale"]


@dataclass(frozen=True)
class CorruptionResult:
    """Corrupted frames and the record of what was done to them."""

    frames: torch.Tensor
    name: str
    params: dict[str, Any]
    seed: int

    def record(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("frames")
        return out


def _check_frames(frames: torch.Tensor) -> None:
    if frames.dtype != torch.uint8 or frames.ndim != 4 or frames.shape[1] not in (1, 3):
        raise ValueError(
            f"expected uint8 frames of shape (T, C, H, W), got {frames.dtype} {tuple(frames.shape)}"
        )


def downscale(frames: torch.Tensor, *, size: int = 20, seed: int = 0) -> tuple[torch.Tensor, dict[str, Any]]:
    """Shrink the short side to ``size`` pixels and scale back up: shapes survive, detail does not."""
    if size < 1:
        raise ValueError(f"downscale: size must be >= 1, got {size}")
    height, width = frames.shape[-2:]
    small = F.resize(frames, [size], antialias=True)
    return F.resize(small, [height, width], antialias=True), {"size": size}


def color_jitter(
    frames: torch.Tensor, *, brightness: float = 0.5, hue: float = 0.3, seed: int = 0
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Scale brightness by a factor in ``[1 - brightness, 1 + brightness]`` and shift hue by up to ``hue``.

    The factors are drawn from ``seed`` (not torch's global RNG), so a build is reproducible.
    """
    if not 0 <= brightness < 1 or not 0 <= hue <= 0.5:
        raise ValueError(
            f"color_jitter: need 0 <= brightness < 1 and 0 <= hue <= 0.5, got {brightness}, {hue}"
        )
    rng = random.Random(f"color_jitter:{seed}")
    brightness_factor = rng.uniform(1 - brightness, 1 + brightness)
    hue_factor = rng.uniform(-hue, hue)
    out = F.adjust_brightness(frames, brightness_factor)
    out = F.adjust_hue(out, hue_factor)
    return out, {
        "brightness": brightness,
        "hue": hue,
        "brightness_factor": brightness_factor,
        "hue_factor": hue_factor,
    }


CORRUPTIONS: dict[str, Callable[..., tuple[torch.Tensor, dict[str, Any]]]] = {
    "downscale": downscale,
    "color_jitter": color_jitter,
}


def apply_corruption(name: str, frames: torch.Tensor, *, seed: int = 0, **params: Any) -> CorruptionResult:
    """Apply the named corruption (see :data:`CORRUPTIONS`) to uint8 ``(T, C, H, W)`` frames."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; accepted: {', '.join(sorted(CORRUPTIONS))}")
    _check_frames(frames)
    out, record = CORRUPTIONS[name](frames, seed=seed, **params)
    return CorruptionResult(frames=out, name=name, params=record, seed=seed)
