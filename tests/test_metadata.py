"""Folders of videos follow `datasets`' own `videofolder` conventions: `load_dataset("videofolder")` reads
the sample and synthetic-benchmark folders, and a video the metadata does not name is left out as
`datasets` leaves it out, but counted and named."""

import json
import logging

import datasets
import pytest
from datasets import load_dataset

import timewarp_hf  # noqa: F401
from timewarp_hf.sources import SCENES_FEATURE
from timewarp_hf.testing import make_sample_videos
from timewarp_hf.testing.temporal_benchmark import make_temporal_benchmark
from timewarp_hf.video import scenes_from_metadata


def _videofolder(folder):
    (ds,) = load_dataset("videofolder", data_dir=str(folder)).values()  # the split is named after the path
    return ds.cast_column("video", datasets.Video(decode=False))


def test_sample_videos_load_with_datasets_videofolder(tmp_path, isolated_datasets_cache):
    paths = make_sample_videos(tmp_path / "samples", 3, num_frames=24)
    ds = _videofolder(tmp_path / "samples")
    assert len(ds) == len(paths) == 3
    assert ds.features["scenes"] == SCENES_FEATURE
    for row in ds:
        scenes = scenes_from_metadata(row)
        assert len(scenes) == 3 and all(s.caption for s in scenes)
        assert [s.start for s in scenes] == sorted(s.start for s in scenes)


def test_synthetic_benchmark_loads_with_datasets_videofolder(tmp_path, isolated_datasets_cache):
    rows = make_temporal_benchmark(tmp_path / "bench", "test", pairs_per_type=1)
    ds = _videofolder(tmp_path / "bench")
    assert len(ds) == len(rows)
    assert ds.features["scenes"] == rows.features["scenes"] == SCENES_FEATURE
    assert {r["video_id"]: r["scenes"] for r in ds} == {r["video_id"]: r["scenes"] for r in rows}
    assert all(scenes_from_metadata(r) for r in ds)


@pytest.mark.parametrize(
    "scenes",
    [
        [
            {"start": 0, "end": 1.5, "caption": "a red screen"},
            {"start": 1.5, "end": 3, "caption": "a blue one"},
        ],
        [[0, 1.5, "a red screen"], [1.5, 3, "a blue one"]],  # the older list form
        {  # FineVideo's content_metadata
            "scenes": [
                {
                    "activities": [
                        {
                            "description": "a red screen",
                            "timestamp": {"start_timestamp": "00:00:00.000", "end_timestamp": "00:00:01.500"},
                        }
                    ]
                },
                {
                    "activities": [
                        {
                            "description": "a blue one",
                            "timestamp": {"start_timestamp": "00:00:01.500", "end_timestamp": "00:00:03.000"},
                        }
                    ]
                },
            ]
        },
    ],
)
def test_every_scene_form_reads_the_same(scenes):
    read = scenes_from_metadata(
        {"scenes": scenes} if isinstance(scenes, list) else {"content_metadata": scenes}
    )
    assert [(s.start, s.end, s.caption) for s in read] == [(0, 1.5, "a red screen"), (1.5, 3, "a blue one")]


def test_videos_missing_from_the_metadata_are_counted_and_named(tmp_path, isolated_datasets_cache, caplog):
    base = tmp_path / "annotated"
    paths = make_sample_videos(base, 3, num_frames=24)
    lines = (base / "metadata.jsonl").read_text().splitlines()
    (base / "metadata.jsonl").write_text("\n".join(lines[:2]) + "\n")  # the third clip is not listed
    assert len(_videofolder(base)) == 2  # datasets' own builder leaves it out too
    with caplog.at_level(logging.WARNING, logger="timewarp_hf.timewarp"):
        ds = load_dataset("timewarp", base=str(base), recipe="explicit", generator="template", split="train")
    summary = json.loads(ds.info.description)
    assert summary["videos_seen"] == 2 and summary["not_in_metadata"] == 1
    assert paths[2].name in caplog.text and "not in its metadata file" in caplog.text
    assert {row["video_id"] for row in ds} == {p.stem for p in paths[:2]}
