"""Shot detection in one decode: PySceneDetect's content and adaptive rules on the frames we decode anyway.

Why this module exists. Scenes drive the paper's explicit recipe and the scene-shuffle warp. The first
detector here compared colour histograms of neighbouring frames; on real footage it missed cuts between
shots whose colours are alike (one street shot to another), which PySceneDetect's ``ContentDetector``
and ``AdaptiveDetector`` find. So the rules are now PySceneDetect's, computed the way it computes them:

* each frame is scaled down (PySceneDetect scales to ~256 px wide; we go to ~160 px, ``work_width``)
  and converted to HSV by OpenCV, as PySceneDetect does (hue 0..179, saturation and value 0..255);
* the frame score is the mean absolute difference of hue, saturation and value to the previous frame,
  averaged with PySceneDetect's default weights (1, 1, 1): on the same frames it equals PySceneDetect's
  ``content_val`` to 1e-15 (``tests/test_scenes.py``);
* ``content``: a cut where the score reaches ``threshold`` (27), at least ``min_scene_seconds`` (0.6 s,
  PySceneDetect's 15 frames at 25 fps) after the previous cut; ``adaptive``: a cut where the score is
  ``adaptive_threshold`` (3) times the mean score of the ``window_width`` (2) frames on each side and at
  least ``min_content_val`` (15), which keeps camera motion (high scores on every frame) from cutting;
* both add gradual transitions, which neither PySceneDetect rule reports as one boundary: a fade through
  black (a run of frames darker than ``fade_threshold``, the threshold of PySceneDetect's
  ``ThresholdDetector``) gives one cut in its middle, and a dissolve gives one cut where the frame ``K``
  frames before and the frame ``K`` frames after differ a lot while the frame between is close to their
  average (a cross-fade is a linear mix; a pan or fast motion is not);
* ``histogram`` keeps the old colour-histogram detector for comparison.

Why not PySceneDetect itself: it reads the video through its own decoder (a second decode of every
frame next to the one sampling needs), and fed our frames through ``process_frame`` its per-frame numpy
code costs ~0.6 ms a frame against ~0.15 ms for the same score here (OpenCV's ``cvtColor``, ``absdiff``
and ``mean``; measured on this project's 2-core machine, where decoding a 360p frame takes ~2 ms and the
detector's budget is a fifth of that); and it has no rule that makes a dissolve one boundary. It stays a ``bench``/``dev``
dependency, the reference the tests and ``scripts/bench_warps.py`` compare against. OpenCV
(``opencv-python-headless``) is a core dependency for this: the same per-pixel work in torch costs ~25x
more here.

Why one decode: :func:`scan_video` streams every frame once through PyAV, converts each to RGB only at the
detector's small size (FFmpeg's scaler does it from YUV, cheaper than converting the full frame), and
converts to full-size RGB only the frames the caller asked to keep (the frames sampled for the model), so
sampling costs no second decode. Its pixels equal torchcodec's (both are FFmpeg's ``rgb24`` conversion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from .video import (
    Frames,
    Scene,
    VideoDecodeError,
    VideoInfo,
    VideoSource,
    _first_line,
    describe_source,
    open_video,
)

__all__ = [
    "DEFAULT_SCENE_DETECTOR",
    "SCENE_DETECTORS",
    "DetectorSettings",
    "ScanResult",
    "cuts_from_features",
    "detect_scenes",
    "frame_features",
    "scan_video",
]

SCENE_DETECTORS = ("adaptive", "content", "histogram")
DEFAULT_SCENE_DETECTOR = "adaptive"


@dataclass(frozen=True)
class DetectorSettings:
    """The detector's parameters; PySceneDetect's defaults where it has the same parameter."""

    detector: str = DEFAULT_SCENE_DETECTOR
    threshold: float = 27.0  # ContentDetector.threshold
    min_scene_seconds: float = 0.6  # both PySceneDetect detectors: 15 frames, 0.6 s at 25 fps
    min_scene_len: int | None = None  # in frames, overriding min_scene_seconds
    adaptive_threshold: float = 3.0  # AdaptiveDetector.adaptive_threshold
    window_width: int = 2  # AdaptiveDetector.window_width
    min_content_val: float = 15.0  # AdaptiveDetector.min_content_val
    gradual: bool = True  # also report fades through black and dissolves, one cut each
    fade_threshold: float = 12.0  # ThresholdDetector.threshold: mean pixel value of a "black" frame
    dissolve_span: int = 6  # K: compare frames t-K and t+K
    dissolve_threshold: float = 20.0  # mean |luma(t+K) - luma(t-K)| on the 8x-pooled thumbnail
    dissolve_linearity: float = 0.25  # max |luma(t) - mean of the two| / that difference
    histogram_threshold: float = 0.3  # the old histogram detector's L1 threshold
    work_width: int = 160  # frames are scaled to about this width (never up) before any feature

    def __post_init__(self):
        if self.detector not in SCENE_DETECTORS:
            raise ValueError(
                f"unknown scene detector {self.detector!r}; accepted values: {', '.join(SCENE_DETECTORS)}"
            )


# ------------------------------------------------------------------------------------------ features


@dataclass
class _Features:
    """Per-frame numbers every detector decides from: a few floats and a 1/8-size thumbnail a frame."""

    content: list[float] = field(default_factory=list)  # PySceneDetect's content_val vs previous frame
    brightness: list[float] = field(default_factory=list)  # mean RGB value
    thumbs: list[np.ndarray] = field(default_factory=list)  # value plane, area-averaged 8x8, uint8
    histogram: list[float] = field(default_factory=list)  # L1 change of 16-bin RGB histograms
    previous: np.ndarray | None = None
    previous_hist: np.ndarray | None = None


def _histogram(rgb: np.ndarray, bins: int = 16) -> np.ndarray:
    """16-bin-per-channel colour histogram of an (H, W, 3) uint8 frame, normalised per channel."""
    quantised = (rgb.reshape(-1, 3) // (256 // bins)).astype(np.int64) + np.arange(3) * bins
    return np.bincount(quantised.ravel(), minlength=3 * bins) / (rgb.shape[0] * rgb.shape[1])


def frame_features(rgb: np.ndarray, state: _Features, *, histogram: bool = False) -> None:
    """Add one small uint8 ``(H, W, 3)`` RGB frame's features to ``state``.

    OpenCV does the per-pixel work (``cvtColor`` to HSV with the conventions PySceneDetect's scores are
    calibrated in, ``absdiff`` and ``mean``): on this project's 2-core reference machine the same in
    torch costs ~25x more per frame, more than decoding a 360p frame.
    """
    import cv2

    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    if state.previous is None:
        state.content.append(0.0)
    else:
        hue, sat, val, _ = cv2.mean(cv2.absdiff(hsv, state.previous))
        state.content.append((hue + sat + val) / 3.0)  # weights (1, 1, 1): PySceneDetect's default
    state.previous = hsv
    red, green, blue, _ = cv2.mean(rgb)
    state.brightness.append((red + green + blue) / 3.0)
    height, width = hsv.shape[:2]
    thumb = cv2.resize(hsv[:, :, 2], (max(1, width // 8), max(1, height // 8)), interpolation=cv2.INTER_AREA)
    state.thumbs.append(thumb)
    if histogram:
        hist = _histogram(rgb)
        previous = state.previous_hist
        state.histogram.append(0.0 if previous is None else 0.5 * float(np.abs(hist - previous).sum()) / 3)
        state.previous_hist = hist


# ------------------------------------------------------------------------------------------ decisions


def _min_gap(candidates: Sequence[int], min_len: int, start: int = 0) -> list[int]:
    """Keep candidates at least ``min_len`` frames after the previous kept one (and the start)."""
    kept: list[int] = []
    last = start
    for frame in candidates:
        if frame - last >= min_len:
            kept.append(frame)
            last = frame
    return kept


def _adaptive(score: np.ndarray, s: DetectorSettings) -> list[int]:
    """AdaptiveDetector: a frame's score against the mean of ``window_width`` frames on each side."""
    w = s.window_width
    n = len(score)
    if n < 2 * w + 1:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(score, 2 * w + 1)
    target = windows[:, w]
    average = (windows.sum(axis=1) - target) / (2.0 * w)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(average > 1e-5, np.minimum(target / average, 255.0), 0.0)
    ratio = np.where((average <= 1e-5) & (target >= s.min_content_val), 255.0, ratio)
    hits = np.nonzero((ratio >= s.adaptive_threshold) & (target >= s.min_content_val))[0] + w
    return _min_gap(hits.tolist(), s.min_scene_len)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _gradual(
    brightness: np.ndarray, thumbs: np.ndarray, hard: Sequence[int], s: DetectorSettings
) -> tuple[list[int], list[int]]:
    """One cut per fade through black and per dissolve, none within ``min_scene_len`` of a hard cut.

    Returns the hard cuts less those that a fade through black explains, and the gradual cuts."""
    n = len(brightness)
    found: list[int] = []
    fades: list[tuple[int, int]] = []
    dark = brightness < s.fade_threshold
    for start, stop in _runs(dark):
        if start > 0 and stop < n:  # a video that opens or ends on black has no transition there
            found.append((start + stop) // 2)
            fades.append((start - s.min_scene_len, stop + s.min_scene_len))
    # the fade out and the fade in can each look like a cut to the frame score: one transition, one cut
    hard = [h for h in hard if not any(a <= h <= b for a, b in fades)]
    k = s.dissolve_span
    if n > 2 * k:
        thumb = thumbs.astype(np.float32).reshape(n, -1)
        before, middle, after = thumb[: n - 2 * k], thumb[k : n - k], thumb[2 * k :]
        change = np.abs(after - before).mean(axis=1)
        residual = np.abs(middle - 0.5 * (before + after)).mean(axis=1)
        mixing = (change >= s.dissolve_threshold) & (residual <= s.dissolve_linearity * change)
        mixing &= ~np.convolve(dark, np.ones(2 * k + 1), "valid").astype(bool)  # fades handled above
        for start, stop in _runs(mixing):
            run = slice(start, stop)
            best = start + int(np.argmax(change[run] - 2 * residual[run]))
            found.append(best + k)
    return hard, sorted(f for f in found if all(abs(f - h) >= s.min_scene_len for h in hard))


def cuts_from_features(features: _Features, settings: DetectorSettings, fps: float) -> list[int]:
    """The cut frames (first frame of each new shot) that ``settings.detector`` finds."""
    if not features.content:
        return []
    if settings.min_scene_len is None:
        settings = replace(settings, min_scene_len=max(1, round(settings.min_scene_seconds * fps)))
    if settings.detector == "histogram":
        change = np.asarray(features.histogram)
        return _min_gap(
            np.flatnonzero(change > settings.histogram_threshold).tolist(), settings.min_scene_len
        )
    score = np.asarray(features.content)
    if settings.detector == "content":
        hard = _min_gap(np.flatnonzero(score >= settings.threshold).tolist(), settings.min_scene_len)
    else:
        hard = _adaptive(score, settings)
    if not settings.gradual:
        return hard
    hard, soft = _gradual(np.asarray(features.brightness), np.stack(features.thumbs), hard, settings)
    return _min_gap(sorted(hard + soft), settings.min_scene_len)


# ------------------------------------------------------------------------------------------ the pass


@dataclass
class ScanResult:
    """What one pass over a video gives: its scenes and the frames the caller asked to keep."""

    scenes: list[Scene]
    cuts: list[int]
    frames: Frames | None
    info: VideoInfo
    content: np.ndarray  # per-frame content score (PySceneDetect's content_val), for inspection


def _source_for_pyav(source: VideoSource):
    """PyAV opens paths and file objects; bytes and ``Video`` dicts become an in-memory file."""
    import io
    import os
    from collections.abc import Mapping

    if isinstance(source, Mapping):
        source = source.get("bytes") or source.get("path")
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return None  # an open torchcodec decoder: decoded through torchcodec itself


def _scan_decoder(decoder, wanted, small_size, state, histogram, chunk_size, name):
    """The same pass over an already open torchcodec decoder (a ``Video`` value with ``decode=True``):
    full-size RGB of every frame is what torchcodec gives, so only the features are made small."""
    info = VideoInfo.from_decoder(decoder, name)
    kept, stamps = {}, {}
    step = max(1, info.width // small_size[0])
    for first in range(0, info.num_frames, chunk_size):
        try:
            batch = decoder.get_frames_in_range(first, min(info.num_frames, first + chunk_size))
        except Exception as exc:
            raise VideoDecodeError(name, "decode_failed", _first_line(exc)) from exc
        for i in wanted:
            if first <= i < first + batch.data.shape[0]:
                kept[i] = batch.data[i - first]
                stamps[i] = float(batch.pts_seconds[i - first])
        for small in batch.data[:, :, ::step, ::step].permute(0, 2, 3, 1).contiguous().numpy():
            frame_features(small, state, histogram=histogram)
    return kept, stamps, info.num_frames


def scan_video(
    source: VideoSource,
    *,
    keep: Sequence[int] = (),
    settings: DetectorSettings | None = None,
    chunk_size: int = 32,
    num_threads: int = 1,
    info: VideoInfo | None = None,
) -> ScanResult:
    """Decode every frame once, find the scenes, and return the frames numbered in ``keep`` (full size).

    ``chunk_size`` is the number of frames an open torchcodec decoder is asked for at a time;
    ``num_threads`` is FFmpeg's decoding threads (frame threading when above 1); ``info`` saves opening
    the file with torchcodec when the caller already has it.
    """
    import av

    settings = settings or DetectorSettings()
    name = describe_source(source)
    if info is None:  # open_video validates the file and gives torchcodec's frame rate and count
        info = VideoInfo.from_decoder(open_video(source), name)
    wanted = sorted(set(int(i) for i in keep))
    kept: dict[int, torch.Tensor] = {}
    stamps: dict[int, float] = {}
    scale = max(1, round(info.width / settings.work_width))
    small_w, small_h = max(1, info.width // scale), max(1, info.height // scale)
    state = _Features()
    histogram = settings.detector == "histogram"
    index = 0
    opened = _source_for_pyav(source)
    if opened is None:
        kept, stamps, index = _scan_decoder(
            source, wanted, (small_w, small_h), state, histogram, chunk_size, name
        )
    else:
        try:
            with av.open(opened) as container:
                stream = container.streams.video[0]
                stream.thread_count = num_threads
                if num_threads > 1:
                    stream.thread_type = "AUTO"
                want = set(wanted)
                for frame in container.decode(stream):
                    if index in want:
                        kept[index] = torch.from_numpy(frame.to_ndarray(format="rgb24")).permute(2, 0, 1)
                        stamps[index] = float(frame.time if frame.time is not None else index / info.fps)
                    # FFmpeg's scaler goes from YUV straight to the small RGB frame
                    small = frame.reformat(
                        width=small_w, height=small_h, format="rgb24", interpolation="FAST_BILINEAR"
                    )
                    frame_features(small.to_ndarray(), state, histogram=histogram)
                    index += 1
        except (av.FFmpegError, ValueError) as exc:
            if index == 0:
                raise VideoDecodeError(name, "decode_failed", _first_line(exc)) from exc
            # a truncated file: keep what decoded (torchcodec's sampling does the same up to the damage)
    if index == 0:
        raise VideoDecodeError(name, "decode_failed", "no frame could be decoded")
    total = info.num_frames  # torchcodec's count, which sampling and scene_frame_ranges use
    cuts = [c for c in cuts_from_features(state, settings, info.fps) if c < total]
    bounds = [0, *cuts, total]
    scenes = [Scene(bounds[k] / info.fps, bounds[k + 1] / info.fps) for k in range(len(bounds) - 1)]
    frames = None
    present = [i for i in wanted if i in kept]
    if present:
        frames = Frames(
            data=torch.stack([kept[i] for i in present]),
            indices=present,
            timestamps=[stamps[i] for i in present],
            info=info,
        )
    return ScanResult(scenes, cuts, frames, info, np.asarray(state.content))


def detect_scenes(
    source: VideoSource,
    *,
    detector: str = DEFAULT_SCENE_DETECTOR,
    num_threads: int = 1,
    chunk_size: int = 32,
    **params: float,
) -> list[Scene]:
    """Scenes of a video (at least one, covering it), by ``detector`` (``adaptive``, ``content`` or
    ``histogram``); ``params`` override :class:`DetectorSettings` fields (``threshold=``, ...)."""
    settings = DetectorSettings(detector=detector, **params)
    return scan_video(source, settings=settings, num_threads=num_threads, chunk_size=chunk_size).scenes
