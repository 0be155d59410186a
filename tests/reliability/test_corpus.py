"""A build over 100 good synthetic videos with every kind of bad file mixed in: it completes, every good
video yields pairs, and every bad file is counted with its reason."""

import json
import random

from datasets import load_dataset

import timewarp_hf  # noqa: F401
from timewarp_hf.testing import CORRUPT_KINDS, make_corrupt_video, make_synthetic_video
from timewarp_hf.testing.videos import DIRECTIONS

EXPECTED_KIND = {
    "zero_bytes": "empty",
    "audio_only": "no_video_stream",
    "one_frame": "too_short",
    "truncated": "unreadable",
    "text": "unreadable",
}


def test_hundred_videos_with_every_corrupt_kind(tmp_path, tiny_vlm, isolated_datasets_cache):
    base = tmp_path / "corpus"
    rng = random.Random(0)
    for k in range(100):
        make_synthetic_video(
            base / f"good_{k:03d}.mp4",
            num_frames=rng.randint(8, 20),
            fps=8,
            direction=DIRECTIONS[k % 4],
            width=48,
            height=48,
            counter=False,
        )
    bad = []
    for k, kind in enumerate(CORRUPT_KINDS * 2):
        bad.append(make_corrupt_video(base / f"bad_{k:02d}_{kind}.mp4", kind))
    ds = load_dataset(
        "timewarp",
        base=str(base),
        captioner=tiny_vlm,
        warps=["reverse"],
        max_new_tokens=4,
        max_similarity=1.0,
        response_cache=str(tmp_path / "r.sqlite"),
        split="train",
        videos_per_chunk=16,
        generation_batch_size=16,
    )
    summary = json.loads(ds.info.description)
    assert summary["videos_seen"] == 100 + len(bad)
    expected = {}
    for kind in CORRUPT_KINDS:
        expected[EXPECTED_KIND[kind]] = expected.get(EXPECTED_KIND[kind], 0) + 2
    assert summary["skipped"] == expected
    made = set(ds["video_id"])
    dropped = summary["filtered"].get("identical", 0)
    assert len(made) + dropped >= 100 and all(v.startswith("good_") for v in made)
    # a random tiny model may answer a reversed clip identically; every other good video made its pair
    assert len(made) == 100 - dropped
