"""The warp preview job: decode videos once, apply every warp, write frame strips and a JSON summary.

It is the first thing a user runs (``timewarp preview``, the quickstart) to see what the warps do to their
own videos before paying for any model call. Bad videos are skipped and counted by reason, never fatal.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .scenes import detect_scenes
from .video import VideoDecodeError, sample_frames, scene_frame_ranges
from .visualize import warp_strip
from .warps import WarpError, apply_warp, parse_warp_spec

__all__ = ["DEFAULT_PREVIEW_WARPS", "preview_warps"]

logger = logging.getLogger(__name__)

DEFAULT_PREVIEW_WARPS = (
    "reverse",
    "scene_shuffle",
    "segment_swap",
    "local_shuffle",
    "frame_drop",
    "freeze",
    "speed:factor=2.0",
    "speed:factor=0.5",
)


def preview_warps(
    videos: Sequence[str | os.PathLike],
    output_dir: str | os.PathLike,
    *,
    warps: Sequence[str] = DEFAULT_PREVIEW_WARPS,
    num_frames: int = 8,
    seed: int = 0,
) -> dict[str, Any]:
    """Write ``<video stem>_warps.png`` per video and ``warps_summary.json`` into ``output_dir``.

    Returns the summary: per video its metadata, detected scenes and every warp's record; per warp the
    number of videos it applied to or was skipped on; and the skipped videos counted by reason.
    """
    specs = [parse_warp_spec(w) for w in warps]  # fail on a bad warp name before decoding anything
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "num_frames": num_frames,
        "seed": seed,
        "warps": [str(s) for s in specs],
        "videos": [],
        "skipped": Counter(),
        "warp_skips": Counter(),
    }
    for video in tqdm(list(videos), desc="warping videos", unit="video"):
        try:
            frames = sample_frames(video, num_frames=num_frames)
            scenes = detect_scenes(video)
        except VideoDecodeError as exc:
            logger.warning("skipping %s", exc)
            summary["skipped"][exc.kind] += 1
            continue
        ranges = scene_frame_ranges(scenes, frames.info)
        results, skipped = [], {}
        for spec in specs:
            try:
                results.append(apply_warp(spec, frames.indices, seed=seed, scenes=ranges))
            except WarpError as exc:
                skipped[str(spec)] = str(exc)
                summary["warp_skips"][str(spec)] += 1
        picture = out / f"{Path(video).stem}_warps.png"
        warp_strip(frames, results).save(picture)
        summary["videos"].append(
            {
                "video": str(video),
                "picture": picture.name,
                "info": vars(frames.info),
                "frame_indices": frames.indices,
                "scenes": [[s.start, s.end] for s in scenes],
                "warps": [r.to_dict() for r in results],
                "skipped_warps": skipped,
            }
        )
    summary["skipped"] = dict(summary["skipped"])
    summary["warp_skips"] = dict(summary["warp_skips"])
    (out / "warps_summary.json").write_text(json.dumps(summary, indent=2))
    return summary
