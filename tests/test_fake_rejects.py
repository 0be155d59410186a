"""No fake rejects: a warped view that does not change what the frames show is skipped and counted."""

from __future__ import annotations

import json

import pytest
import torch
from datasets import load_dataset

import timewarp_hf  # noqa: F401  (registers "timewarp")
from timewarp_hf.config import DEFAULT_MIN_WARP_CHANGE, TimeWarpConfig, TimeWarpConfigError
from timewarp_hf.generation import GenerationBackend
from timewarp_hf.pipeline import PairPipeline, summarize_counters
from timewarp_hf.recipes.base import frame_change
from timewarp_hf.sources import BaseExample
from timewarp_hf.testing import make_synthetic_video
from timewarp_hf.timewarp import NoPairsError

WARPS = ("reverse", "local_shuffle", "freeze", "frame_drop", "speed", "segment_swap")


class Numbered(GenerationBackend):
    """A distinct answer per request, so no pair is lost to the text filter."""

    name, model_id = "numbered", "stub"

    def generate(self, requests):
        return [f"answer number {k}" for k, _ in enumerate(requests)]


@pytest.fixture(scope="module")
def static_video(assets):
    return make_synthetic_video(assets / "static.mp4", num_frames=32, direction=None, counter=False)


@pytest.fixture(scope="module")
def moving_video(assets):
    return make_synthetic_video(assets / "moving.mp4", num_frames=32, counter=False)


def run(video, **options):
    options = {"warps": WARPS, "max_similarity": 1.0, **options}
    pipeline = PairPipeline(
        TimeWarpConfig(name="t", recipe="warped", captioner="stub", **options), captioner=Numbered()
    )
    return list(pipeline.run([BaseExample("clip", str(video))])), summarize_counters(pipeline.counters)


@pytest.mark.parametrize("pair_type", ["answer_contrast", "video_contrast", "both"])
def test_a_static_clips_warps_are_skipped_and_counted(static_video, pair_type):
    records, summary = run(static_video, pair_type=pair_type)
    assert records == []
    assert summary["warp_skipped"] == {"no_change": len(WARPS)}


def test_a_moving_clips_warps_are_kept_with_the_default_threshold(moving_video):
    records, summary = run(moving_video)
    assert "no_change" not in summary["warp_skipped"]
    assert sorted(json.loads(r["warp"])["name"] for r in records) == sorted(WARPS)
    for record in records:
        assert json.loads(record["warp"])["frame_change"] >= DEFAULT_MIN_WARP_CHANGE


def test_the_threshold_is_an_option(static_video, moving_video):
    records, summary = run(static_video, min_warp_change=0.0)  # 0 keeps every view, even a fake one
    assert len(records) == len(WARPS) and "no_change" not in summary["warp_skipped"]
    records, summary = run(moving_video, min_warp_change=0.5)  # above every change of a small square
    assert records == [] and summary["warp_skipped"] == {"no_change": len(WARPS)}
    with pytest.raises(TimeWarpConfigError, match="min_warp_change"):
        TimeWarpConfig(name="t", recipe="warped", captioner="stub", min_warp_change=1.5)


def test_frame_change_is_order_aware():
    ramp = torch.arange(4, dtype=torch.uint8).mul(80).view(4, 1, 1, 1).expand(4, 3, 2, 2).contiguous()
    assert frame_change(ramp, ramp) == 0.0
    assert frame_change(ramp, ramp.flip(0)) == pytest.approx((240 + 80 + 80 + 240) / 4 / 255)
    same = ramp[:1].expand(4, 3, 2, 2)
    assert frame_change(same, same.flip(0)) == 0.0  # the same frames in another order: nothing changed
    # a shorter view is compared on the common timeline: frames 0, 2 shown for two positions each
    assert frame_change(ramp, ramp[[0, 2]]) == pytest.approx((0 + 80 + 0 + 80) / 4 / 255)


def test_load_dataset_reports_a_static_base_as_no_change(
    tmp_path, static_video, tiny_vlm, isolated_datasets_cache
):
    base = tmp_path / "videos"
    base.mkdir()
    (base / "static.mp4").write_bytes(static_video.read_bytes())
    with pytest.raises(NoPairsError) as info:
        load_dataset(
            "timewarp",
            base=str(base),
            split="train",
            captioner=tiny_vlm,
            warps=("reverse",),
            max_new_tokens=4,
            response_cache=str(tmp_path / "r.sqlite"),
        )
    assert '"no_change": 1' in str(info.value)
