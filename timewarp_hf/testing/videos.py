"""Synthetic videos whose temporal order can be checked by eye and by code, and broken files.

Tests, the quickstart and the benchmarks need videos without a network. These are made locally with
PyAV (libx264): a square moving in a known direction (the order is visually decidable), a frame counter
burned into the top rows as black/white bits (decoding tests read the frame number back from pixels), and
coloured scenes with hard cuts (scene detection has exact ground truth).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

__all__ = [
    "COUNTER_BITS",
    "CORRUPT_KINDS",
    "DIRECTIONS",
    "make_corrupt_video",
    "make_sample_videos",
    "make_synthetic_video",
    "read_frame_counter",
]

DIRECTIONS = ("right", "left", "down", "up")
COUNTER_BITS = 12  # up to 4095 frames
_COUNTER_HEIGHT = 8
_PALETTE_NAMES = ["red", "green", "blue", "yellow", "purple", "cyan", "orange", "gray"]
_PALETTE = [
    (200, 40, 40),
    (40, 160, 60),
    (40, 70, 200),
    (220, 200, 40),
    (160, 50, 180),
    (40, 190, 200),
    (230, 130, 30),
    (120, 120, 120),
]


def _square_position(i: int, n: int, extent: int, side: int, direction: str) -> int:
    travel = extent - side
    progress = i / max(1, n - 1)
    forward = int(round(progress * travel))
    return forward if direction in ("right", "down") else travel - forward


def _draw_frame(
    i: int,
    num_frames: int,
    width: int,
    height: int,
    background: tuple[int, int, int],
    direction: str | None,
    square_color: tuple[int, int, int],
    counter: bool,
) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    img[:] = background
    if direction is not None:
        side = max(4, min(width, height) // 4)
        top = _COUNTER_HEIGHT if counter else 0
        if direction in ("right", "left"):
            x = _square_position(i, num_frames, width, side, direction)
            y = top + (height - top - side) // 2
        else:
            x = (width - side) // 2
            y = top + _square_position(i, num_frames, height - top, side, direction)
        img[y : y + side, x : x + side] = square_color
    if counter:
        bit_width = width // COUNTER_BITS
        for bit in range(COUNTER_BITS):
            value = 255 if (i >> (COUNTER_BITS - 1 - bit)) & 1 else 0
            img[:_COUNTER_HEIGHT, bit * bit_width : (bit + 1) * bit_width] = value
    return img


def make_synthetic_video(
    path: str | os.PathLike,
    *,
    num_frames: int = 32,
    fps: float = 8,
    width: int = 64,
    height: int = 64,
    direction: str | None = "right",
    scenes: Sequence[int] | None = None,
    counter: bool = True,
    background: tuple[int, int, int] = (20, 20, 30),
    square_color: tuple[int, int, int] = (240, 240, 240),
    audio: bool = False,
    gop: int | None = None,
    crf: int = 12,
) -> Path:
    """Write an H.264 MP4 whose content encodes time.

    Args:
        num_frames, fps, width, height: the stream; width must allow 4 px per counter bit (>= 48).
        direction: the square moves ``right``/``left``/``down``/``up`` across the frame over the clip;
            ``None`` draws no square.
        scenes: frame counts of consecutive scenes (they must sum to ``num_frames``); each scene gets its
            own background colour from a fixed palette, so cuts are hard and their frames known exactly.
        counter: burn the frame number into the top 8 rows (read it back with :func:`read_frame_counter`).
        audio: add a sine audio track (some servers need one to accept a video).
        gop: keyframe interval (default: libx264's); long GOPs make random access slow, as in real videos.
    """
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS} or None, got {direction!r}")
    if counter and width < 4 * COUNTER_BITS:
        raise ValueError(f"width must be >= {4 * COUNTER_BITS} to hold the frame counter, got {width}")
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even for yuv420p, got {width}x{height}")
    if scenes is not None and sum(scenes) != num_frames:
        raise ValueError(f"scenes must sum to num_frames={num_frames}, got {sum(scenes)}")
    backgrounds = []
    for number, length in enumerate(scenes or [num_frames]):
        colour = _PALETTE[number % len(_PALETTE)] if scenes else background
        backgrounds.extend([colour] * length)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=_fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), **({"g": str(gop)} if gop else {})}
        audio_stream = container.add_stream("aac", rate=16000) if audio else None
        for i in range(num_frames):
            img = _draw_frame(i, num_frames, width, height, backgrounds[i], direction, square_color, counter)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None:
            _write_sine(container, audio_stream, seconds=num_frames / fps)
    return path


def _fraction(fps: float):
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)


def _write_sine(container, stream, seconds: float, rate: int = 16000) -> None:
    samples = np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate).astype(np.float32)
    chunk = stream.codec_context.frame_size or 1024
    for start in range(0, len(samples), chunk):
        frame = av.AudioFrame.from_ndarray(samples[None, start : start + chunk], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def read_frame_counter(frame) -> int:
    """The frame number burned in by :func:`make_synthetic_video`, from a decoded frame.

    Accepts a uint8 tensor or array, ``(C, H, W)`` or ``(H, W, C)``.
    """
    img = np.asarray(frame)
    if img.ndim != 3:
        raise ValueError(f"expected one frame (3 dims), got shape {img.shape}")
    if img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
        img = img.transpose(1, 2, 0)
    width = img.shape[1]
    bit_width = width // COUNTER_BITS
    value = 0
    for bit in range(COUNTER_BITS):
        cell = img[1 : _COUNTER_HEIGHT - 1, bit * bit_width + 1 : (bit + 1) * bit_width - 1]
        value = (value << 1) | int(cell.mean() > 127)
    return value


CORRUPT_KINDS = ("truncated", "zero_bytes", "text", "audio_only", "one_frame")


def make_corrupt_video(path: str | os.PathLike, kind: str) -> Path:
    """Write a broken or unusable ``.mp4`` of the given kind (see :data:`CORRUPT_KINDS`).

    ``truncated``: a real video cut to a third of its bytes; ``zero_bytes``: an empty file; ``text``: a
    text file named ``.mp4``; ``audio_only``: an MP4 with an audio track and no video; ``one_frame``: a
    valid video with a single frame (too short to have an order).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "truncated":
        make_synthetic_video(path, num_frames=48)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a video, just text with an .mp4 name\n")
    elif kind == "audio_only":
        with av.open(str(path), "w", format="mp4") as container:
            _write_sine(container, container.add_stream("aac", rate=16000), seconds=1.0)
    elif kind == "one_frame":
        make_synthetic_video(path, num_frames=1)
    else:
        raise ValueError(f"unknown corrupt kind {kind!r}; accepted: {', '.join(CORRUPT_KINDS)}")
    return path


def make_sample_videos(
    directory: str | os.PathLike, count: int = 4, *, num_frames: int = 48, metadata: bool = True
) -> list[Path]:
    """A small, varied set of clips for demos and the quickstart: each has three coloured scenes with hard
    cuts, a frame counter, and a square moving in a different direction, so every warp shows.

    With ``metadata``, a ``metadata.jsonl`` gives each clip's scenes with captions (``{"start", "end",
    "caption"}`` objects, :data:`~timewarp_hf.sources.SCENES_FEATURE`), so ``load_dataset("videofolder")``
    reads the folder and the explicit recipe can use it as a base.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    third = num_frames // 3
    lengths = [third, third, num_frames - 2 * third]
    paths, rows = [], []
    for k in range(count):
        direction = DIRECTIONS[k % len(DIRECTIONS)]
        path = make_synthetic_video(
            Path(directory) / f"sample_{k:02d}_{direction}.mp4",
            num_frames=num_frames,
            fps=8,
            width=96,
            height=64,
            direction=direction,
            scenes=lengths,
        )
        paths.append(path)
        bounds = [0, lengths[0], lengths[0] + lengths[1], num_frames]
        scenes = [
            {
                "start": bounds[s] / 8,
                "end": bounds[s + 1] / 8,
                "caption": f"the background turns {_PALETTE_NAMES[s]} while a white square moves {direction}",
            }
            for s in range(3)
        ]
        rows.append({"file_name": path.name, "scenes": scenes})
    if metadata:
        with open(Path(directory) / "metadata.jsonl", "w") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
    return paths
