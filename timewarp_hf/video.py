"""Video decoding, frame sampling and scene segments, on torchcodec.

Everything TimeWarp does starts from the frames a model sees. This module opens a video from whatever a
user has (a path, bytes, a ``datasets`` ``Video`` value), samples frames in temporal order, and decodes each
sampled frame exactly once; warps then index the decoded tensor (see :mod:`timewarp_hf.warps`).

Any failure to read a video is raised as one typed error, :class:`VideoDecodeError`, which names the
source and carries a short machine-readable ``kind`` so that a dataset build can skip the video, count it
by reason, and go on.

Scenes come from metadata (FineVideo's ``content_metadata.scenes``, ``[start, end]`` pairs, or dicts) or
from :func:`timewarp_hf.scenes.detect_scenes`, PySceneDetect's content/adaptive rules computed in the one pass that also
decodes the sampled frames (:mod:`timewarp_hf.scenes`, which says why it is not PySceneDetect itself).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torchcodec.decoders import VideoDecoder

__all__ = [
    "Frames",
    "Scene",
    "VideoDecodeError",
    "VideoInfo",
    "VideoSource",
    "decode_frames",
    "describe_source",
    "find_videos",
    "open_video",
    "read_info",
    "sample_frames",
    "sample_indices",
    "scene_frame_ranges",
    "scenes_from_metadata",
    "trim_scenes",
]

VideoSource = str | os.PathLike | bytes | Mapping | VideoDecoder

VIDEO_EXTENSIONS = (
    ".mp4",
    ".mkv",
    ".webm",
    ".mov",
    ".avi",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".ts",
    ".flv",
    ".wmv",
    ".gif",
)


def find_videos(path: str | os.PathLike, *, recursive: bool = True) -> list[str]:
    """Video files under a folder (by extension, sorted, hidden files skipped), or the file itself."""
    path = os.fspath(path)
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no such file or folder: {path}")
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        found.extend(
            os.path.join(root, f)
            for f in files
            if not f.startswith(".") and f.lower().endswith(VIDEO_EXTENSIONS)
        )
    return sorted(found)


class VideoDecodeError(RuntimeError):
    """A video could not be read. ``kind`` is one of :attr:`KINDS`, for counting skips by reason."""

    KINDS = ("missing", "empty", "unreadable", "no_video_stream", "too_short", "decode_failed", "no_scenes")

    def __init__(self, source: str, kind: str, reason: str):
        if kind not in self.KINDS:
            raise ValueError(f"unknown VideoDecodeError kind {kind!r}")
        self.source, self.kind, self.reason = source, kind, reason
        super().__init__(f"{source}: {kind}: {reason}")


def describe_source(source: Any) -> str:
    """A short human-readable name for a video source, for errors and logs."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray)):
        return f"<{len(source)} bytes>"
    if isinstance(source, Mapping):
        if source.get("path"):
            return str(source["path"])
        return describe_source(source.get("bytes") or b"")
    return f"<{type(source).__name__}>"


# torchcodec prefixes FFmpeg's message with its C++ location ("SingleStreamDecoder, /path/x.cpp:41, ").
_CPP_LOCATION = re.compile(r"^\w+, \S+\.cpp:\d+, ")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _CPP_LOCATION.sub("", text[0]).strip() if text else type(exc).__name__


def open_video(source: VideoSource, *, num_threads: int = 1) -> VideoDecoder:
    """Open ``source`` as a torchcodec :class:`VideoDecoder`, or raise :class:`VideoDecodeError`.

    ``source`` may be a path, the file's bytes, a ``{"path", "bytes"}`` dict (a ``datasets`` ``Video``
    value with ``decode=False``) or an already open decoder (``Video`` with ``decode=True``).
    """
    if isinstance(source, VideoDecoder):
        decoder = source
    else:
        name = describe_source(source)
        if isinstance(source, Mapping):
            payload = source.get("bytes") or source.get("path")
            if not payload:
                raise VideoDecodeError(name, "missing", "the Video value has neither bytes nor a path")
            return open_video(payload, num_threads=num_threads)
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not os.path.isfile(path):
                raise VideoDecodeError(name, "missing", "no such file")
            if os.path.getsize(path) == 0:
                raise VideoDecodeError(name, "empty", "the file has zero bytes")
            payload: Any = path
        elif isinstance(source, (bytes, bytearray)):
            if not source:
                raise VideoDecodeError(name, "empty", "zero bytes given")
            payload = bytes(source)
        else:
            raise TypeError(
                f"cannot open a video from {type(source).__name__}; pass a path, bytes or a Video value"
            )
        try:
            decoder = VideoDecoder(payload, num_ffmpeg_threads=num_threads, seek_mode="exact")
        except Exception as exc:  # torchcodec raises RuntimeError/ValueError with FFmpeg's message
            message = _first_line(exc)
            kind = "no_video_stream" if re.search(r"video stream", message, re.I) else "unreadable"
            raise VideoDecodeError(name, kind, message) from exc
    info = VideoInfo.from_decoder(decoder, describe_source(source))
    if info.num_frames == 0:
        raise VideoDecodeError(describe_source(source), "empty", "the video stream has no frames")
    return decoder


@dataclass(frozen=True)
class VideoInfo:
    """Stream metadata that sampling and the model's temporal encoding need."""

    fps: float
    num_frames: int
    duration: float
    width: int
    height: int

    @classmethod
    def from_decoder(cls, decoder: VideoDecoder, name: str = "<video>") -> VideoInfo:
        meta = decoder.metadata
        fps = meta.average_fps
        num_frames = meta.num_frames
        if not fps or num_frames is None:
            raise VideoDecodeError(name, "unreadable", "the stream reports no frame rate or frame count")
        duration = meta.duration_seconds or num_frames / fps
        return cls(
            fps=float(fps),
            num_frames=int(num_frames),
            duration=float(duration),
            width=int(meta.width),
            height=int(meta.height),
        )


def read_info(source: VideoSource) -> VideoInfo:
    """Metadata of a video without decoding any frame."""
    return VideoInfo.from_decoder(open_video(source), describe_source(source))


def sample_indices(
    info: VideoInfo,
    *,
    num_frames: int | None = 8,
    fps: float | None = None,
    max_frames: int | None = None,
    start: float = 0.0,
    end: float | None = None,
) -> list[int]:
    """Frame numbers to decode, strictly increasing, inside the window ``[start, end)`` seconds.

    Either ``num_frames`` frames spread uniformly over the window (the first and last frame included), or,
    with ``fps``, one frame every ``1/fps`` seconds capped at ``max_frames`` (beyond the cap, uniform).
    A window shorter than the request gives every frame it has, never a repeated one.
    """
    if fps is None and (num_frames is None or num_frames < 1):
        raise ValueError(f"num_frames must be >= 1 (got {num_frames}), or set fps")
    if fps is not None and fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    first = max(0, int(round(start * info.fps)))
    last = info.num_frames if end is None else min(info.num_frames, int(round(end * info.fps)))
    available = last - first
    if available <= 0:
        return []
    if fps is not None:
        step = info.fps / fps
        count = max(1, int(available / step))
        if max_frames is None or count <= max_frames:
            return sorted({first + int(k * step) for k in range(count)})
        num_frames = max_frames
    count = min(num_frames, available)
    if max_frames is not None:
        count = min(count, max_frames)
    positions = np.linspace(first, last - 1, count)
    return sorted({int(round(p)) for p in positions})


@dataclass
class Frames:
    """Decoded frames of one video, in temporal order.

    ``data`` is uint8 ``(T, C, H, W)``; ``indices[k]`` is the frame number of ``data[k]`` and
    ``timestamps[k]`` its presentation time in seconds.
    """

    data: torch.Tensor
    indices: list[int]
    timestamps: list[float]
    info: VideoInfo

    @property
    def presentation_fps(self) -> float:
        """The rate the sampled frames are shown at (frames per second of the clip a model sees): the
        video's rate scaled by how sparsely the frames were sampled."""
        if len(self.indices) < 2 or self.indices[-1] == self.indices[0]:
            return self.info.fps
        return self.info.fps * (len(self.indices) - 1) / (self.indices[-1] - self.indices[0])

    def take(self, indices: Sequence[int]) -> torch.Tensor:
        """The frames for a (possibly warped) list of frame numbers, from the tensor already decoded."""
        position = {idx: k for k, idx in enumerate(self.indices)}
        try:
            order = [position[i] for i in indices]
        except KeyError as exc:
            raise KeyError(
                f"frame {exc.args[0]} was not decoded; decoded frames are {self.indices}"
            ) from None
        return self.data[order]

    def __len__(self) -> int:
        return len(self.indices)


def decode_frames(
    source: VideoSource, indices: Iterable[int], *, decoder: VideoDecoder | None = None
) -> Frames:
    """Decode the given frame numbers once each, returned in increasing order."""
    name = describe_source(source)
    decoder = decoder or open_video(source)
    info = VideoInfo.from_decoder(decoder, name)
    wanted = sorted(set(int(i) for i in indices))
    if not wanted:
        raise VideoDecodeError(name, "too_short", "no frame to decode in the requested window")
    if wanted[0] < 0 or wanted[-1] >= info.num_frames:
        raise IndexError(
            f"{name}: frame indices must lie in [0, {info.num_frames}), got {wanted[0]}..{wanted[-1]}"
        )
    try:
        batch = decoder.get_frames_at(indices=wanted)
    except Exception as exc:
        raise VideoDecodeError(name, "decode_failed", _first_line(exc)) from exc
    return Frames(
        data=batch.data, indices=wanted, timestamps=[float(t) for t in batch.pts_seconds], info=info
    )


def sample_frames(
    source: VideoSource,
    *,
    num_frames: int | None = 8,
    fps: float | None = None,
    max_frames: int | None = None,
    min_frames: int = 2,
    start: float = 0.0,
    end: float | None = None,
) -> Frames:
    """Open, sample (see :func:`sample_indices`) and decode a video in one call.

    Raises :class:`VideoDecodeError` (kind ``too_short``) when fewer than ``min_frames`` frames exist.
    """
    decoder = open_video(source)
    info = VideoInfo.from_decoder(decoder, describe_source(source))
    indices = sample_indices(
        info, num_frames=num_frames, fps=fps, max_frames=max_frames, start=start, end=end
    )
    if len(indices) < min_frames:
        raise VideoDecodeError(
            describe_source(source),
            "too_short",
            f"{len(indices)} frame(s) available, need at least {min_frames}",
        )
    return decode_frames(source, indices, decoder=decoder)


# --------------------------------------------------------------------------------------------- scenes


@dataclass(frozen=True)
class Scene:
    """A shot or scene: ``[start, end)`` in seconds, with an optional caption."""

    start: float
    end: float
    caption: str | None = None


_TIMESTAMP = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")


def _seconds(value: Any) -> float:
    """Seconds from a number or an ``HH:MM:SS.mmm`` / ``MM:SS`` string (FineVideo's format)."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    match = _TIMESTAMP.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"cannot read a timestamp from {value!r}; use seconds or HH:MM:SS.mmm") from None


def _scene_from_record(record: Any) -> Scene:
    if isinstance(record, Scene):
        return record
    if isinstance(record, Sequence) and not isinstance(record, str) and len(record) in (2, 3):
        caption = record[2] if len(record) == 3 else None
        return Scene(_seconds(record[0]), _seconds(record[1]), caption)
    if not isinstance(record, Mapping):
        raise ValueError(f"cannot read a scene from {record!r}")
    activities = record.get("activities")
    if activities:
        # FineVideo: the scene spans its activities, and its caption is their descriptions in order
        # (what the original TimeWarp preprocessing does).
        spans = [a.get("timestamp") or {} for a in activities]
        starts = [_seconds(s["start_timestamp"]) for s in spans if "start_timestamp" in s]
        ends = [_seconds(s["end_timestamp"]) for s in spans if "end_timestamp" in s]
        if starts and ends:
            caption = " ".join(str(a.get("description", "")).strip() for a in activities).strip()
            return Scene(min(starts), max(ends), caption or None)
    stamps = record.get("timestamps") or record.get("timestamp") or record
    start = stamps.get("start_timestamp", stamps.get("start"))
    end = stamps.get("end_timestamp", stamps.get("end"))
    if start is None or end is None:
        raise ValueError(f"scene {record!r} has no start/end")
    caption = record.get("caption") or record.get("description") or record.get("title")
    return Scene(_seconds(start), _seconds(end), caption)


def scenes_from_metadata(metadata: Any) -> list[Scene]:
    """Read scenes from metadata, sorted by start time.

    Accepts FineVideo's ``content_metadata`` (or its ``scenes`` list: each scene's span is its activities'
    span, its caption their descriptions), ``[start, end]`` / ``[start, end, caption]`` lists, and dicts
    with ``start``/``end`` (seconds or ``HH:MM:SS.mmm``) and ``caption``. Scenes whose end is not after
    their start are dropped.
    """
    if isinstance(metadata, Mapping) and "scenes" in metadata:
        metadata = metadata["scenes"]
    if isinstance(metadata, Mapping) and "content_metadata" in metadata:
        return scenes_from_metadata(metadata["content_metadata"])
    scenes = [_scene_from_record(r) for r in metadata or []]
    return sorted((s for s in scenes if s.end > s.start), key=lambda s: s.start)


def trim_scenes(
    scenes: Sequence[Scene], *, max_end: float | None = 105.0, min_scenes: int = 2
) -> list[Scene]:
    """The original TimeWarp trimming rule: keep scenes in order while they end by ``max_end`` seconds.

    The first scene that ends later stops the walk (the video is cut there). Raises ``ValueError`` when
    fewer than ``min_scenes`` remain, since a single scene has no order to learn from.
    """
    kept: list[Scene] = []
    for scene in scenes:
        if max_end is not None and scene.end > max_end:
            break
        kept.append(scene)
    if len(kept) < min_scenes:
        raise ValueError(f"{len(kept)} scene(s) end by {max_end} s; need at least {min_scenes}")
    return kept


def scene_frame_ranges(scenes: Sequence[Scene], info: VideoInfo) -> list[tuple[int, int]]:
    """Half-open frame ranges of the scenes, the form the scene warps take.

    Each scene runs up to the next scene's start, so every frame between the first scene's start and the
    last scene's end belongs to exactly one scene even when the metadata leaves small gaps.
    """
    ranges = []
    for k, scene in enumerate(scenes):
        start = int(round(scene.start * info.fps))
        stop = scenes[k + 1].start if k + 1 < len(scenes) else scene.end
        end = min(info.num_frames, max(start + 1, int(round(stop * info.fps))))
        ranges.append((min(start, info.num_frames - 1), end))
    return ranges
