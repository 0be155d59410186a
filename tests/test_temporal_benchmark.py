import json

import pytest
import torch
from datasets import load_dataset

import timewarp_hf  # noqa: F401
from timewarp_hf.testing import QUESTION_TYPES, make_temporal_benchmark
from timewarp_hf.video import sample_frames


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    root = tmp_path_factory.mktemp("temporal")
    return {s: (root / s, make_temporal_benchmark(root / s, s, pairs_per_type=2)) for s in ("train", "test")}


def test_every_type_has_forward_and_reversed_clips_with_flipped_answers(splits):
    _, ds = splits["train"]
    assert len(ds) == 2 * 2 * len(QUESTION_TYPES)
    for k in range(0, len(ds), 2):
        fwd, rev = ds[k], ds[k + 1]
        assert fwd["pair_id"] == rev["pair_id"] and fwd["question"] == rev["question"]
        a = sample_frames(fwd["video"], num_frames=8).data
        b = sample_frames(rev["video"], num_frames=8).data
        assert torch.equal(a, b.flip(0)), "a pair must be the exact time reversal (same frames, bit for bit)"
        if fwd["temporal"]:
            assert fwd["answer"] != rev["answer"], fwd["category"]
        elif fwd["category"] in ("appearance", "repetitions"):
            assert fwd["answer"] == rev["answer"]


def test_answers_index_the_options_and_scene_captions_follow_time(splits):
    _, ds = splits["train"]
    for row in ds:
        assert row["options"]["ABCDEFGH".index(row["answer"])] == row["answer_text"]
        scenes = row["scenes"]
        assert scenes[0]["start"] == 0 and scenes[-1]["end"] == pytest.approx(1.0)
        assert all(a["end"] == b["start"] for a, b in zip(scenes, scenes[1:]))
        assert len({s["caption"] for s in scenes}) == len(scenes)  # distinct captions


def test_splits_are_disjoint(splits):
    (train_dir, train), (test_dir, test) = splits["train"], splits["test"]
    appearance = [r for r in test if r["category"] == "appearance"]
    train_colours = set(train.filter(lambda r: r["category"] == "appearance")[0]["options"])
    assert not set(appearance[0]["options"]) & train_colours
    train_bytes = {p.read_bytes() for p in train_dir.glob("*.mp4")}
    assert not train_bytes & {p.read_bytes() for p in test_dir.glob("*.mp4")}


def test_folder_is_a_timewarp_base_for_the_explicit_recipe(splits, isolated_datasets_cache):
    folder, ds = splits["train"]
    pairs = load_dataset("timewarp", base=str(folder), recipe="explicit", generator="template", split="train")
    summary = json.loads(pairs.info.description)
    assert summary["videos_seen"] == len(ds) and summary["skipped"] == {} and summary["num_pairs"] > len(ds)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="split must be one of train, test"):
        make_temporal_benchmark(tmp_path, "dev")
    with pytest.raises(ValueError, match="unknown question types"):
        make_temporal_benchmark(tmp_path, question_types=["colour_of_sky"])
