"""Frame strips: pictures of an original clip and its warps, one labelled row each.

Used by the quickstart, the dataset card (its example picture) and the Space. A reader should see at a
glance what each warp did to time, so every row shows the frames in the order the model would see them,
with the warp's name and the source frame numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from PIL import Image, ImageDraw, ImageFont

from .video import Frames
from .warps import WarpResult

__all__ = ["frame_strip", "warp_strip"]

_LABEL_WIDTH = 150
_GAP = 4
_CAPTION_HEIGHT = 12


def _to_pil(frame: torch.Tensor, height: int) -> Image.Image:
    image = Image.fromarray(frame.permute(1, 2, 0).contiguous().numpy())
    width = max(1, round(image.width * height / image.height))
    return image.resize((width, height), Image.Resampling.BILINEAR)


def frame_strip(
    rows: Sequence[tuple[str, torch.Tensor, Sequence[str]]], *, thumb_height: int = 64
) -> Image.Image:
    """Lay out labelled rows of frames.

    Each row is ``(label, frames uint8 (T, C, H, W), captions per frame)``. Rows may differ in length
    (a dropped-frame clip is shorter); the picture is as wide as the longest row.
    """
    if not rows:
        raise ValueError("frame_strip needs at least one row")
    font = ImageFont.load_default()
    thumbs = [[_to_pil(f, thumb_height) for f in frames] for _, frames, _ in rows]
    row_width = max(sum(t.width + _GAP for t in row) for row in thumbs)
    row_height = thumb_height + _CAPTION_HEIGHT + _GAP
    canvas = Image.new("RGB", (_LABEL_WIDTH + row_width, row_height * len(rows)), "white")
    draw = ImageDraw.Draw(canvas)
    for r, ((label, _, captions), row) in enumerate(zip(rows, thumbs)):
        top = r * row_height
        draw.text((4, top + thumb_height // 2 - 6), label, fill="black", font=font)
        x = _LABEL_WIDTH
        for thumb, caption in zip(row, captions):
            canvas.paste(thumb, (x, top))
            draw.text((x + 2, top + thumb_height), caption, fill="dimgray", font=font)
            x += thumb.width + _GAP
    return canvas


def warp_strip(frames: Frames, warps: Sequence[WarpResult], *, thumb_height: int = 64) -> Image.Image:
    """The original sampled frames on the first row, then one row per warp, taken from the same decode."""
    rows = [("original", frames.data, [str(i) for i in frames.indices])]
    for result in warps:
        label = result.name
        if result.params:
            label += "\n" + ", ".join(f"{k}={v}" for k, v in sorted(result.params.items()))
        rows.append((label, frames.take(result.indices), [str(i) for i in result.indices]))
    return frame_strip(rows, thumb_height=thumb_height)
