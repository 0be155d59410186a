"""Training clips: one video (file, bytes, ``datasets.Video`` value or folder of frame images) read as
the frames a processor gets, with the true :class:`~transformers.video_utils.VideoMetadata`.

:class:`~timewarp_hf.collator.VideoPreferenceCollator` decodes through these so that a batch reads each
video once; :func:`load_clip` is the same path for one video (what the collator would show the model).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers.video_utils import VideoMetadata

from .video import VideoDecodeError, VideoInfo, decode_frames, describe_source, open_video, sample_indices

__all__ = [
    "Clip",
    "ClipSource",
    "FrameFolder",
    "SourceKey",
    "cap_frames",
    "check_indices",
    "clip_metadata",
    "fit_pixels",
    "load_clip",
    "open_source",
    "source_key",
]

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


@dataclass
class Clip:
    """Frames of one video as a model sees them, with the metadata its processor needs.

    ``frames`` is uint8 ``(T, C, H, W)``; ``metadata.frames_indices[k]`` is the frame number that
    ``frames[k]`` came from, in the video's own numbering.
    """

    frames: torch.Tensor
    metadata: VideoMetadata


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class FrameFolder:
    """A folder of pre-extracted frame images, read as a video at a nominal frame rate."""

    def __init__(self, path: str, fps: float):
        self.path = path
        self.files = sorted(
            (f for f in os.listdir(path) if f.lower().endswith(_IMAGE_EXTENSIONS) and not f.startswith(".")),
            key=_natural_key,
        )
        if not self.files:
            raise VideoDecodeError(path, "empty", "the folder holds no frame images")
        self.info = VideoInfo(
            fps=fps, num_frames=len(self.files), duration=len(self.files) / fps, width=0, height=0
        )

    def read(self, indices: Sequence[int]) -> torch.Tensor:
        from PIL import Image

        frames = []
        for i in indices:
            file = os.path.join(self.path, self.files[i])
            try:
                with Image.open(file) as image:
                    array = np.asarray(image.convert("RGB"))
            except OSError as exc:
                raise VideoDecodeError(file, "decode_failed", str(exc)) from exc
            frames.append(torch.from_numpy(array.copy()).permute(2, 0, 1))
        if len({f.shape for f in frames}) > 1:
            raise VideoDecodeError(self.path, "decode_failed", "the frame images differ in size")
        return torch.stack(frames)


class _VideoFile:
    """An opened video file (or bytes, or ``datasets.Video`` value) decoded through :mod:`timewarp_hf.video`."""

    def __init__(self, source: Any):
        self.source = source
        self.decoder = open_video(source)
        self.info = VideoInfo.from_decoder(self.decoder, describe_source(source))

    def read(self, indices: Sequence[int]) -> torch.Tensor:
        return decode_frames(self.source, indices, decoder=self.decoder).data


ClipSource = FrameFolder | _VideoFile
SourceKey = tuple[str, Any]


def open_source(source: Any, folder_fps: float) -> ClipSource:
    if source is None:
        raise VideoDecodeError("<none>", "missing", "the row has no video")
    if isinstance(source, (str, os.PathLike)) and os.path.isdir(source):
        return FrameFolder(os.fspath(source), folder_fps)
    return _VideoFile(source)


def source_key(source: Any) -> SourceKey:
    """Identity of a video within one batch, so that rows sharing a video decode it once."""
    if isinstance(source, (str, os.PathLike)):
        return ("path", os.path.abspath(os.fspath(source)))
    if isinstance(source, Mapping):
        if source.get("path"):
            return ("path", os.path.abspath(str(source["path"])))
        if source.get("bytes"):
            return ("bytes", hashlib.blake2b(source["bytes"], digest_size=16).hexdigest())
    if isinstance(source, (bytes, bytearray)):
        return ("bytes", hashlib.blake2b(source, digest_size=16).hexdigest())
    return ("object", id(source))


def fit_pixels(frames: torch.Tensor, max_pixels: int | None) -> torch.Tensor:
    """Downscale frames (aspect kept) so that height x width <= max_pixels; smaller frames pass unchanged."""
    height, width = frames.shape[-2:]
    if max_pixels is None or height * width <= max_pixels:
        return frames
    from torchvision.transforms.v2.functional import resize

    scale = (max_pixels / (height * width)) ** 0.5
    size = [max(1, int(height * scale)), max(1, int(width * scale))]
    return resize(frames, size, antialias=True)


def cap_frames(indices: list[int], max_frames: int | None) -> list[int]:
    if max_frames is None or len(indices) <= max_frames:
        return indices
    keep = np.linspace(0, len(indices) - 1, max_frames).round().astype(int)
    return [indices[k] for k in keep]


def clip_metadata(info: VideoInfo, indices: list[int], frames: torch.Tensor, backend: str) -> VideoMetadata:
    return VideoMetadata(
        total_num_frames=info.num_frames,
        fps=info.fps,
        width=int(frames.shape[-1]),
        height=int(frames.shape[-2]),
        duration=info.duration,
        video_backend=backend,
        frames_indices=list(indices),
    )


def load_clip(
    source: Any,
    *,
    num_frames: int | None = 8,
    fps: float | None = None,
    max_frames: int | None = None,
    frame_indices: Sequence[int] | None = None,
    max_pixels: int | None = None,
    folder_fps: float = 1.0,
) -> Clip:
    """Decode one video the way :class:`~timewarp_hf.collator.VideoPreferenceCollator` does.

    ``source`` is a path, bytes, a ``{"path", "bytes"}`` dict, a ``datasets.Video`` value or a folder of
    frame images. Exactly ``frame_indices`` are decoded when given (thinned uniformly to ``max_frames``);
    when they are missing or empty, ``num_frames`` uniform frames, or one frame every ``1/fps`` seconds (see
    :func:`timewarp_hf.video.sample_indices`). Raises :class:`~timewarp_hf.video.VideoDecodeError`.
    """
    video = open_source(source, folder_fps)
    if not frame_indices:
        indices = sample_indices(video.info, num_frames=num_frames, fps=fps, max_frames=max_frames)
    else:
        indices = cap_frames(check_indices(frame_indices, video.info, describe_source(source)), max_frames)
    frames = fit_pixels(video.read(indices), max_pixels)
    backend = "frames" if isinstance(video, FrameFolder) else "torchcodec"
    return Clip(frames, clip_metadata(video.info, indices, frames, backend))


def check_indices(frame_indices: Sequence[int], info: VideoInfo, name: str) -> list[int]:
    indices = [int(i) for i in frame_indices]
    if any(b <= a for a, b in zip(indices, indices[1:])):
        raise ValueError(
            f"{name}: frame_indices {indices} are not strictly increasing; they must list the ORIGINAL "
            "video's frames in time order (a warp belongs in the rejected answer, not in the training clip)"
        )
    if indices[0] < 0 or indices[-1] >= info.num_frames:
        raise VideoDecodeError(
            name,
            "too_short",
            f"frame_indices reach frame {indices[-1]} but the video has {info.num_frames} frames "
            "(is this the video the pair was generated from?)",
        )
    return indices
