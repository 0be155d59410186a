"""Warp difficulty on one scale, and the easy-to-hard curriculum: the order of sampled difficulties,
inside one train() call, resumed from a checkpoint in the middle of a stage."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset, DatasetInfo
from transformers import AutoModelForImageTextToText, AutoProcessor

from timewarp_hf.collator import VideoPreferenceCollator
from timewarp_hf.hub.dataset_card import render_dataset_card
from timewarp_hf.sampling import CurriculumSampler
from timewarp_hf.testing import make_tiny_vlm
from timewarp_hf.trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer
from timewarp_hf.warps import apply_warp, warp_difficulty, warp_magnitude

TRUE = list(range(0, 80, 10))


def difficulty(spec, seed=1):
    return warp_difficulty(TRUE, apply_warp(spec, TRUE, seed=seed).indices)


def test_difficulty_is_one_scale_across_warps_and_their_parameters():
    assert difficulty("reverse") == 0.0 and difficulty("identity") == 1.0
    assert (
        0.0 < difficulty("segment_swap") < difficulty("local_shuffle:window=4") < difficulty("local_shuffle")
    )
    # each warp's own parameter moves it along the same scale
    assert difficulty("freeze:length=1") > difficulty("freeze:length=3") > difficulty("freeze:length=6")
    assert difficulty("frame_drop:fraction=0.2") > difficulty("frame_drop:fraction=0.6")
    assert difficulty("speed:factor=1.5") > difficulty("speed:factor=4")
    for spec in (
        "reverse",
        "segment_swap",
        "local_shuffle",
        "frame_drop",
        "freeze",
        "speed",
        "speed:factor=0.5",
    ):
        assert 0.0 <= difficulty(spec) <= 1.0
    assert warp_magnitude(TRUE, TRUE[::-1]) == 1.0  # every pair of shown frames in the wrong order


def rows_with(difficulties):
    return list(range(len(difficulties))), list(difficulties)


def test_steps_pacing_walks_each_epoch_from_easy_to_hard():
    values = [0.9, 0.1, 0.5, 0.1, 0.7, 0.3, 0.0, 0.6, 0.95]
    sampler = CurriculumSampler(values, stages=3, seed=4)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        order = list(sampler)
        assert sorted(order) == list(range(len(values)))  # a permutation: every pair once per epoch
        stages = [[values[i] for i in order[k * 3 : (k + 1) * 3]] for k in range(3)]
        assert max(stages[0]) <= min(stages[1]) and max(stages[1]) <= min(stages[2])
    sampler.set_epoch(0)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first  # reshuffled inside the stages
    sampler.set_epoch(0)
    assert list(sampler) == first  # a pure function of (seed, epoch): what resuming relies on


def test_ties_share_a_stage_and_epochs_pacing_adds_a_stage_per_epoch():
    values = [0.2] * 4 + [0.5] * 2 + [0.8] * 3
    sampler = CurriculumSampler(values, stages=3, pacing="epochs")
    assert [sorted(values[i] for i in b) for b in sampler.bins] == [[0.2] * 4, [0.5] * 2, [0.8] * 3]
    seen = []
    for epoch in range(4):
        sampler.set_epoch(epoch)
        order = list(sampler)
        assert len(order) == len(values)
        seen.append(sorted(set(values[i] for i in order)))
    assert seen == [[0.2], [0.2, 0.5], [0.2, 0.5, 0.8], [0.2, 0.5, 0.8]]


class RecordingCollator(VideoPreferenceCollator):
    """Remembers which pairs each batch held."""

    def torch_call(self, examples):
        self.seen.extend(ex["video_id"] for ex in examples)
        return super().torch_call(examples)


@pytest.fixture(scope="module")
def qwen(assets):
    path = make_tiny_vlm(assets / "tiny-qwen2_vl-curriculum", "qwen2_vl")
    return path, AutoProcessor.from_pretrained(path)


def pair(video, k, value):
    return {
        "prompt": [
            {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": f"Q{k}?"}]}
        ],
        "chosen": [{"role": "assistant", "content": [{"type": "text", "text": "It moves right."}]}],
        "rejected": [{"role": "assistant", "content": [{"type": "text", "text": "It moves left."}]}],
        "video": str(video),
        "video_id": f"pair-{k}",
        "frame_indices": [0, 10, 20, 30],
        "difficulty": value,
    }


def train(path, processor, dataset, output_dir, resume=None, **options):
    args = TimeWarpDPOConfig(
        output_dir=str(output_dir),
        per_device_train_batch_size=1,
        max_steps=6,
        learning_rate=1e-3,
        report_to="none",
        disable_tqdm=True,
        gradient_checkpointing=False,
        curriculum="easy_to_hard",
        curriculum_stages=3,
        save_strategy="steps",
        save_steps=3,
        num_frames=4,
        **options,
    )
    collator = RecordingCollator(processor, num_frames=4)
    collator.seen = []
    trainer = TimeWarpDPOTrainer(
        model=AutoModelForImageTextToText.from_pretrained(path),
        ref_model=AutoModelForImageTextToText.from_pretrained(path),
        args=args,
        data_collator=collator,
        train_dataset=dataset,
        processing_class=processor,
    )
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    return collator.seen


def test_training_follows_the_curriculum_and_resumes_inside_a_stage(qwen, counter_video, tmp_path):
    path, processor = qwen
    values = [0.8, 0.1, 0.5, 0.9, 0.0, 0.4]
    dataset = Dataset.from_list([pair(counter_video, k, v) for k, v in enumerate(values)])
    by_id = {f"pair-{k}": v for k, v in enumerate(values)}
    seen = train(path, processor, dataset, tmp_path / "full")
    stages = [sorted(by_id[i] for i in seen[k : k + 2]) for k in (0, 2, 4)]
    assert stages == [[0.0, 0.1], [0.4, 0.5], [0.8, 0.9]]  # 6 steps of one pair: easy, middle, hard
    card = (tmp_path / "full" / "README.md").read_text()
    assert "| training order | easy_to_hard by `difficulty`, 3 stages paced by steps |" in card
    resumed = train(
        path, processor, dataset, tmp_path / "resumed-run", resume=tmp_path / "full" / "checkpoint-3"
    )
    assert resumed == seen[3:]  # the remaining steps, in the same order: stage 2's second pair, stage 3


def test_curriculum_needs_the_difficulty_column(qwen, counter_video, tmp_path):
    path, processor = qwen
    rows = [pair(counter_video, k, 0.5) for k in range(2)]
    for row in rows:
        del row["difficulty"]
    with pytest.raises(ValueError, match="difficulty"):
        train(path, processor, Dataset.from_list(rows), tmp_path)
    with pytest.raises(ValueError, match="curriculum must be"):
        TimeWarpDPOConfig(output_dir=str(tmp_path), curriculum="hard_to_easy")


def test_dataset_card_reports_pair_types_and_difficulty(counter_video):
    rows = [pair(counter_video, k, v) for k, v in enumerate([0.0, 0.5, 1.0])]
    for row, kind in zip(rows, ["answer_contrast", "video_contrast", "video_contrast"]):
        row.update(pair_type=kind, recipe="warped", warp=json.dumps({"name": "reverse"}), generator="g")
    summary = {"config": {"recipe": "warped", "warps": ["reverse"]}, "videos_seen": 1}
    dataset = Dataset.from_list(rows, info=DatasetInfo(description=json.dumps(summary)))
    card = render_dataset_card(dataset, repo_id="me/pairs", example_image=None)
    assert "| pair types | `answer_contrast` (1), `video_contrast` (2) |" in card.text
    assert "| difficulty (mean, min-max) | 0.50, 0.00-1.00 |" in card.text


def test_the_train_cli_takes_the_curriculum_flags(tmp_path):
    from timewarp_hf.training import make_parser

    flags = ["--output_dir", str(tmp_path), "--curriculum", "easy_to_hard", "--curriculum_pacing", "epochs"]
    _, args, _ = make_parser().parse_args_and_config(args=[*flags, "--curriculum_stages", "2"])
    assert (args.curriculum, args.curriculum_pacing, args.curriculum_stages) == ("easy_to_hard", "epochs", 2)
