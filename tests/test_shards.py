"""Builds split across machines: three shard builds merged equal the single-machine build, row for row."""

import json

import pytest
from datasets import Video, load_dataset, load_from_disk

import timewarp_hf  # noqa: F401
from timewarp_hf.cli import main
from timewarp_hf.config import TimeWarpConfigError
from timewarp_hf.shards import merge_summaries
from timewarp_hf.testing import make_sample_videos
from timewarp_hf.timewarp import shard_slice

from .pairs import build_summary


def test_shard_slices_are_contiguous_and_cover_everything_like_datasets():
    from datasets import Dataset

    for count in (1, 5, 7, 12):
        for num_shards in (1, 2, 3, 5):
            pieces = [list(range(count))[shard_slice(count, num_shards, i)] for i in range(num_shards)]
            assert sum(pieces, []) == list(range(count))
            reference = Dataset.from_dict({"x": list(range(count))})
            for i, piece in enumerate(pieces if num_shards <= count else []):  # datasets refuses more
                assert reference.shard(num_shards, i, contiguous=True)["x"] == piece
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        shard_slice(5, 3, 3)


def _build(base, output, *extra):
    args = ["build", "--base", str(base), "--recipe", "explicit", "--generator", "template"]
    assert main([*args, "--output", str(output), *extra]) == 0


def test_three_shards_merged_equal_the_single_machine_build(tmp_path, isolated_datasets_cache, capsys):
    base = tmp_path / "base"
    make_sample_videos(base, 7, num_frames=24)
    _build(base, tmp_path / "single")  # what one machine writes
    single = load_from_disk(str(tmp_path / "single"))
    for i in range(3):
        _build(base, tmp_path / f"shard-{i}", "--num-shards", "3", "--shard-index", str(i))
    sizes = [len(load_from_disk(str(tmp_path / f"shard-{i}"))) for i in range(3)]
    assert all(sizes) and sum(sizes) == len(single)
    capsys.readouterr()
    folders = [str(tmp_path / f"shard-{i}") for i in (2, 0, 1)]  # any order: merged by shard index
    assert main(["merge", *folders, "--output", str(tmp_path / "merged")]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    merged = load_from_disk(str(tmp_path / "merged"))
    assert printed["pairs"] == len(merged) == len(single)
    assert merged.column_names == single.column_names
    files = Video(decode=False)
    for ours, theirs in zip(merged.cast_column("video", files), single.cast_column("video", files)):
        assert ours == theirs  # every column, the embedded video's name and bytes included
    summary = json.loads((tmp_path / "merged" / "timewarp_summary.json").read_text())
    expected = json.loads((tmp_path / "single" / "timewarp_summary.json").read_text())
    assert expected == build_summary(single) and expected["num_pairs"] == len(single)
    assert summary == expected and build_summary(merged) == expected
    card = (tmp_path / "merged" / "README.md").read_text()
    assert f"{len(single)}" in card and "your-name/merged" in card


def test_merge_refuses_missing_duplicate_or_mismatched_shards(tmp_path, isolated_datasets_cache):
    base = tmp_path / "base"
    make_sample_videos(base, 4, num_frames=24)
    for i in range(2):
        _build(base, tmp_path / f"s{i}", "--num-shards", "2", "--shard-index", str(i))
    from timewarp_hf.shards import merge_builds

    with pytest.raises(ValueError, match=r"shards \[1\] of 2 are missing"):
        merge_builds([tmp_path / "s0"], tmp_path / "out")
    with pytest.raises(ValueError, match="both shard 0"):
        merge_builds([tmp_path / "s0", tmp_path / "s0"], tmp_path / "out")
    first = {"config": {"seed": 0, "num_shards": 2, "shard_index": 0}, "videos_seen": 2}
    with pytest.raises(ValueError, match="other options"):
        merge_summaries([first, {"config": {"seed": 1, "num_shards": 2, "shard_index": 1}, "videos_seen": 2}])
    both = merge_summaries([first, {**first, "config": {**first["config"], "shard_index": 1}}])
    assert both == {"config": {"seed": 0}, "videos_seen": 4}


def test_shard_options_are_validated(tmp_path):
    with pytest.raises(TimeWarpConfigError, match="shard_index"):
        load_dataset(
            "timewarp",
            base=str(tmp_path),
            generator="template",
            recipe="explicit",
            num_shards=2,
            shard_index=2,
            split="train",
        )
