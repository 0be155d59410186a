"""Video-contrast pairs: the builder writes them (alone or mixed with answer-contrast pairs), the collator
gives each rejected row its warped frames (one decode per video), and the trainer's rejected forward pass
really receives those frames."""

from __future__ import annotations

import json

import pytest
import torch
from datasets import Dataset, load_from_disk
from transformers import AutoModelForImageTextToText, AutoProcessor

import timewarp_hf  # noqa: F401  (registers "timewarp")
from timewarp_hf.cli import main as cli_main
from timewarp_hf.collator import VideoPreferenceCollator, load_clip
from timewarp_hf.config import TimeWarpConfig, TimeWarpConfigError
from timewarp_hf.generation import GenerationBackend
from timewarp_hf.pipeline import PairPipeline
from timewarp_hf.sources import BaseExample
from timewarp_hf.testing import VLM_FAMILIES, make_tiny_vlm, read_frame_counter
from timewarp_hf.trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer

from .pairs import build_summary

TRUE = [0, 5, 10, 15, 20, 25, 30, 35]
REVERSED = TRUE[::-1]


class FrameCounterBackend(GenerationBackend):
    """Answers with the frame numbers it was shown, so a text tells which frames produced it."""

    name, model_id = "counter", "frames"

    def __init__(self):
        self.calls = 0

    def generate(self, requests):
        self.calls += len(requests)
        return [" ".join(str(read_frame_counter(f)) for f in r.frames) for r in requests]


def _build(video, pair_type, warps=("reverse", "local_shuffle")):
    config = TimeWarpConfig(
        name="t", recipe="warped", captioner="stub", warps=warps, pair_type=pair_type, max_similarity=1.0
    )
    backend = FrameCounterBackend()
    pipeline = PairPipeline(config, "test", captioner=backend)
    records = list(pipeline.run([BaseExample("clip", str(video))]))
    return records, pipeline.counters, backend


def text(messages):
    return messages[0]["content"][0]["text"]


def test_video_contrast_pairs_keep_one_answer_and_store_the_warped_order(counter_video):
    records, counters, backend = _build(counter_video, "video_contrast")
    assert backend.calls == 1  # only the true frames are answered: no rejected answer is needed
    assert [r["pair_type"] for r in records] == ["video_contrast"] * 2
    for record in records:
        warp = json.loads(record["warp"])
        assert (
            text(record["chosen"]) == text(record["rejected"]) == " ".join(map(str, record["frame_indices"]))
        )
        assert record["rejected_frame_indices"] == warp["indices"] != record["frame_indices"]
        assert sorted(record["rejected_frame_indices"]) == record["frame_indices"]
    assert counters["pairs/warped/reverse (video_contrast)"] == 1


def test_both_pair_types_mix_in_one_build(counter_video):
    records, counters, backend = _build(counter_video, "both")
    assert backend.calls == 3  # true frames once, each warp once
    kinds = [(json.loads(r["warp"])["name"], r["pair_type"]) for r in records]
    assert sorted(kinds) == sorted(
        [(w, t) for w in ("reverse", "local_shuffle") for t in ("answer_contrast", "video_contrast")]
    )
    for record in records:
        if record["pair_type"] == "answer_contrast":
            assert record["rejected_frame_indices"] == []
            warped = json.loads(record["warp"])["indices"]
            assert text(record["rejected"]) == " ".join(map(str, warped))  # answered on the warped frames
    ds = Dataset.from_list(records, features=timewarp_hf.pipeline.FEATURES)
    assert set(ds["pair_type"]) == {"answer_contrast", "video_contrast"}


def test_pair_type_is_validated():
    with pytest.raises(TimeWarpConfigError, match="pair_type"):
        TimeWarpConfig(name="t", recipe="warped", captioner="x", pair_type="contrastive")
    with pytest.raises(TimeWarpConfigError, match="only the warped"):
        TimeWarpConfig(name="t", recipe="implicit", captioner="x", pair_type="video_contrast")


def test_the_build_cli_makes_video_contrast_pairs(tmp_path, sample_videos, tiny_vlm, isolated_datasets_cache):
    """`timewarp build --pair-type video_contrast` (which goes through load_dataset("timewarp", ...))."""
    out = tmp_path / "pairs"
    flags = ["--base", str(sample_videos), "--captioner", tiny_vlm, "--warps", "reverse"]
    flags += ["--pair-type", "video_contrast", "--max-new-tokens", "4", "--output", str(out)]
    assert cli_main(["build", *flags, "--response-cache", str(tmp_path / "r.sqlite")]) == 0
    ds = load_from_disk(str(out))
    assert len(ds) == 3 == build_summary(ds)["pairs"]["warped/reverse (video_contrast)"]
    for row in ds:
        assert row["rejected_frame_indices"] == row["frame_indices"][::-1]
        assert row["chosen"] == row["rejected"] and row["difficulty"] == 0.0


# ------------------------------------------------------------------------------------------ collation


@pytest.fixture(scope="module")
def qwen(assets):
    path = make_tiny_vlm(assets / "tiny-qwen2_vl-contrast", "qwen2_vl")
    return path, AutoProcessor.from_pretrained(path)


def contrast_row(video, video_id, warped=None, chosen="The square moves right.", rejected=None):
    return {
        "prompt": [
            {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": "Where?"}]}
        ],
        "chosen": [{"role": "assistant", "content": [{"type": "text", "text": chosen}]}],
        "rejected": [{"role": "assistant", "content": [{"type": "text", "text": rejected or chosen}]}],
        "video": str(video),
        "video_id": video_id,
        "frame_indices": TRUE,
        "rejected_frame_indices": warped or [],
    }


def video_patches(processor, frames: torch.Tensor) -> torch.Tensor:
    """The pixel_values_videos a processor makes of exactly these frames, in this order."""
    return processor.video_processor(videos=[frames], do_sample_frames=False, return_tensors="pt")[
        "pixel_values_videos"
    ]


def split_videos(batch) -> list[torch.Tensor]:
    sizes = [int(t * h * w) for t, h, w in batch["video_grid_thw"]]
    return list(torch.split(batch["pixel_values_videos"], sizes))


def test_collator_gives_each_rejected_row_its_own_view(qwen, counter_video, monkeypatch):
    path, processor = qwen
    true = load_clip(str(counter_video), frame_indices=TRUE).frames
    assert [read_frame_counter(f) for f in true] == TRUE
    reversed_frames = true.flip(0)
    assert [read_frame_counter(f) for f in reversed_frames] == REVERSED
    collator = VideoPreferenceCollator(processor)
    reads = []
    original = type(collator)._decode_once

    def counting(self, opened, requests):
        out = original(self, opened, requests)
        reads.extend(len(v[0]) for v in out.values())
        return out

    monkeypatch.setattr(type(collator), "_decode_once", counting)
    rows = [
        contrast_row(counter_video, "contrast", warped=REVERSED),
        contrast_row(counter_video, "answers", rejected="The square moves left."),
    ]
    batch = collator(rows)
    assert reads == [len(TRUE)]  # one decode of the union of both views' frames, for one video
    videos = split_videos(batch)  # [chosen contrast, chosen answers, rejected contrast, rejected answers]
    assert len(videos) == 4 and batch["input_ids"].shape[0] == 4
    expected_true, expected_reversed = (
        video_patches(processor, true),
        video_patches(processor, reversed_frames),
    )
    assert torch.allclose(videos[0], expected_true) and torch.allclose(videos[1], expected_true)
    assert torch.allclose(videos[2], expected_reversed) and not torch.allclose(videos[2], expected_true)
    assert torch.allclose(videos[3], expected_true)  # an answer-contrast row keeps the true clip
    ids, completion = batch["input_ids"], batch["completion_mask"]
    answers = [processor.tokenizer.decode(ids[i][completion[i] == 1]) for i in range(4)]
    assert "moves right" in answers[0] and "moves right" in answers[2]  # same text, other video
    assert "moves left" in answers[3]


def test_a_shorter_warped_view_collates_with_its_own_token_count(qwen, counter_video):
    _, processor = qwen
    dropped = [0, 10, 20, 35]  # frame_drop keeps fewer frames
    batch = VideoPreferenceCollator(processor)([contrast_row(counter_video, "drop", warped=dropped)])
    grid = batch["video_grid_thw"]
    assert grid[0, 0] == 2 * grid[1, 0]  # temporal patches of 2 frames: 8 frames vs 4
    placeholder = processor.video_token_id
    counts = [(batch["input_ids"][i] == placeholder).sum() for i in range(2)]
    assert counts[0] == 2 * counts[1]


def test_rejected_forward_pass_receives_the_warped_frames(qwen, counter_video, tmp_path):
    path, processor = qwen
    model = AutoModelForImageTextToText.from_pretrained(path)
    seen = []

    def record(module, args, kwargs):
        seen.append((kwargs["pixel_values_videos"].detach().clone(), kwargs["video_grid_thw"].clone()))

    model.register_forward_pre_hook(record, with_kwargs=True)
    args = TimeWarpDPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=1,
        max_steps=1,
        learning_rate=1e-3,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        gradient_checkpointing=False,
    )
    rows = [contrast_row(counter_video, "contrast", warped=REVERSED)]
    trainer = TimeWarpDPOTrainer(
        model=model,
        ref_model=AutoModelForImageTextToText.from_pretrained(path),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=processor,
    )
    trainer.train()
    assert seen  # the policy's forward over [chosen; rejected]
    pixels, grid = seen[0]
    sizes = [int(t * h * w) for t, h, w in grid]
    chosen, rejected = torch.split(pixels, sizes)
    true = load_clip(str(counter_video), frame_indices=TRUE).frames
    assert torch.allclose(chosen, video_patches(processor, true))
    assert torch.allclose(rejected, video_patches(processor, true.flip(0)))
    logs = [entry for entry in trainer.state.log_history if "logps/rejected" in entry]
    assert logs and logs[0]["logps/chosen"] != logs[0]["logps/rejected"]  # same text, other frames


@pytest.mark.parametrize("family", VLM_FAMILIES)
def test_every_family_runs_a_mixed_batch(family, assets, counter_video):
    """Answer- and video-contrast rows in one batch, the warped view shorter than the true clip (where the
    processor allows it): every tiny family's model takes the 2B rows, and the two halves of the
    video-contrast row differ in the forward."""
    path = make_tiny_vlm(assets / f"tiny-{family}-mixed", family)
    processor = AutoProcessor.from_pretrained(path)
    model = AutoModelForImageTextToText.from_pretrained(path).eval()
    shorter = [35, 30, 25, 20]  # a frame_drop or speed view: half the frames
    answers = contrast_row(counter_video, "answers", rejected="The square moves left.")
    collator = VideoPreferenceCollator(processor)
    if family == "llava_onevision":  # its processor stacks a batch's videos: one frame count per batch
        with pytest.raises(ValueError, match="one frame count.*not frame_drop or speed"):
            collator([contrast_row(counter_video, "contrast", warped=shorter), answers])
        rows = [contrast_row(counter_video, "contrast", warped=REVERSED), answers]
    else:
        rows = [contrast_row(counter_video, "contrast", warped=shorter), answers]
    batch = collator(rows)
    batch.pop("skipped_videos")
    inputs = {k: v for k, v in batch.items() if k != "completion_mask"}
    with torch.no_grad():
        logits = model(**inputs).logits
    assert logits.shape[0] == 4
    mask = batch["completion_mask"][:, 1:].bool()
    logps = torch.log_softmax(logits[:, :-1].float(), -1).gather(-1, batch["input_ids"][:, 1:, None])[..., 0]
    per_row = (logps * mask).sum(1)
    assert not torch.isclose(per_row[0], per_row[2])  # same answer tokens, other frames
