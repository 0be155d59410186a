"""TimeWarpDPOTrainer: it learns from the video's temporal order (and only from it), LoRA keeps one copy of
the base weights, checkpoints reload and resume, bad input fails clearly, and the script runs."""

from __future__ import annotations

import colorsys
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import Dataset, DatasetDict, Video
from peft import PeftModel
from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

from timewarp_hf.collator import VideoPreferenceCollator, load_clip
from timewarp_hf.testing import make_corrupt_video, make_tiny_vlm
from timewarp_hf.testing.temporal_benchmark import write_lossless_video
from timewarp_hf.trainer import (
    TimeWarpDPOConfig,
    TimeWarpDPOTrainer,
    check_processor_matches_model,
    default_lora_config,
)
from timewarp_hf.training import main

QUICK = dict(
    report_to="none", save_strategy="no", disable_tqdm=True, gradient_checkpointing=False, logging_steps=1
)


@pytest.fixture(scope="session")
def tiny_vlm(assets):
    paths = {}

    def get(family: str) -> Path:
        if family not in paths:
            paths[family] = make_tiny_vlm(assets / f"tiny-{family}", family)
        return paths[family]

    return get


def pair_row(
    video, video_id, question="What happens in the video?", chosen="A square moves.", rejected="Nothing."
):
    return {
        "prompt": [
            {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": question}]}
        ],
        "chosen": [{"role": "assistant", "content": [{"type": "text", "text": chosen}]}],
        "rejected": [{"role": "assistant", "content": [{"type": "text", "text": rejected}]}],
        "video": str(video),
        "video_id": video_id,
        "frame_indices": [0, 4, 8, 12, 16, 20, 24, 28],
        "fps": 8.0,
        "recipe": "warped",
        "warp": json.dumps({"name": "reverse", "params": {}}),
        "source": "synthetic",
        "generator": "tiny-vlm",
        "seed": 0,
    }


@pytest.fixture(scope="module")
def pairs(counter_video):
    return [pair_row(counter_video, f"clip-{k}", question=f"Question {k}?") for k in range(4)]


# ---------------------------------------------------------------------------------------------- config


def test_config_has_timewarp_defaults_and_runs_on_cpu(tmp_path):
    args = TimeWarpDPOConfig(output_dir=str(tmp_path))
    assert (args.learning_rate, args.num_train_epochs, args.warmup_steps, args.beta) == (5e-7, 3.0, 0.1, 0.1)
    assert args.loss_type == ["sigmoid"] and args.lr_scheduler_type == "linear"
    assert (args.num_frames, args.max_length, args.use_frame_indices, args.on_decode_error) == (
        8,
        None,
        True,
        "skip",
    )
    assert args.bf16 is (torch.cuda.is_available() and torch.cuda.is_bf16_supported())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_frames": 0}, r"num_frames must be positive, got 0; e\.g\. num_frames=8"),
        ({"fps": -1.0}, r"fps must be positive"),
        ({"max_pixels": 0}, r"max_pixels must be positive"),
        ({"num_frames": None}, r"num_frames and fps are both unset; set num_frames=8 or fps=2"),
        ({"on_decode_error": "ignore"}, r"on_decode_error must be 'skip' or 'raise'"),
        ({"truncation_mode": "keep_end"}, r"truncation_mode='keep_end' would cut the video"),
    ],
)
def test_config_errors_name_the_field_and_the_fix(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        TimeWarpDPOConfig(output_dir=str(tmp_path), **overrides)


# ------------------------------------------------------------------------------ the video matters

PROMPT = "In which direction does the square move?"
ANSWERS = {"right": "The square moves to the right.", "left": "The square moves to the left."}


def _direction_clip(rng: np.random.Generator, num_frames: int = 8, side: int = 56) -> np.ndarray:
    """A square of random size, colour, height, speed and start moving left to right on black."""
    size = int(rng.integers(6, 13))
    travel = float(rng.uniform(16, side - size - 2))
    start = float(rng.uniform(0, side - size - travel))
    top = int(rng.integers(0, side - size + 1))
    if rng.uniform() < 0.3:
        colour = np.array([255, 255, 255])
    else:
        colour = np.array(colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.3, 1), rng.uniform(0.75, 1))) * 255
    xs = np.round(start + travel * np.arange(num_frames) / (num_frames - 1)).astype(int)
    frames = np.zeros((num_frames, side, side, 3), np.uint8)
    for t, x in enumerate(xs):
        frames[t, top : top + size, x : x + size] = colour.round().astype(np.uint8)
    return frames


def _direction_split(folder: Path, pairs: int, seed: int) -> list[dict]:
    """Rows [pair0 L2R, pair0 R2L, pair1 L2R, ...]; each R2L clip is its partner played backwards, so the
    two clips of a pair hold the same frames and only their order tells the answer."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(pairs):
        frames = _direction_clip(rng)
        for direction, clip in (("right", frames), ("left", frames[::-1])):
            path = folder / f"{k:03d}_{direction}.mp4"
            # lossless: the right-to-left clip decodes to exactly the reversed left-to-right one, so no
            # compression artefact can tell the directions apart
            write_lossless_video(path, clip)
            wrong = "left" if direction == "right" else "right"
            rows.append(
                pair_row(path, f"{folder.name}-{k}-{direction}", PROMPT, ANSWERS[direction], ANSWERS[wrong])
            )
            del rows[-1]["frame_indices"]
    return rows


@pytest.fixture(scope="module")
def direction_task(tmp_path_factory):
    root = tmp_path_factory.mktemp("direction")
    train, test = (
        _direction_split(root / "train", 32, seed=1234),
        _direction_split(root / "test", 32, seed=98765),
    )
    left_to_right, right_to_left = (load_clip(r["video"]).frames for r in test[:2])
    assert torch.equal(left_to_right.flip(0), right_to_left)  # the only cue is temporal order
    return train, test


def _train_direction(tiny_vlm, task, tmp_path, shuffle_frames: bool, steps: int = 120, seed: int = 0):
    """The feasibility study's fastest reliable recipe: tiny Qwen2-VL (init std 0.1), full fine-tuning,
    lr 1e-3 with cosine decay, batches of 8 holding both clips of 4 pairs."""
    train, test = task
    # Both clips of a pair in the same batch make the 'always answer right' gradient cancel; without that
    # a random tiny model settles on ignoring the video (feasibility notes §2). Epochs of freshly shuffled
    # pairs, laid out in order and read sequentially, give those batches without a custom sampler.
    rng = np.random.default_rng(seed)
    order = []
    while len(order) < steps * 8:
        for k in rng.permutation(len(train) // 2):
            first = int(rng.integers(2))
            order += [2 * k + first, 2 * k + 1 - first]
    path = tiny_vlm("qwen2_vl")
    config = AutoConfig.from_pretrained(path)
    for sub in (config, config.text_config, config.vision_config):
        sub.initializer_range = 0.1
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    reference = AutoModelForImageTextToText.from_config(config).eval()
    reference.load_state_dict(model.state_dict())
    args = TimeWarpDPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        per_device_eval_batch_size=16,
        max_steps=steps,
        learning_rate=1e-3,
        lr_scheduler_type="cosine",
        warmup_steps=10,
        train_sampling_strategy="sequential",
        shuffle_frames=shuffle_frames,
        seed=seed,
        **QUICK | {"logging_steps": 20},
    )
    trainer = TimeWarpDPOTrainer(
        model=model,
        ref_model=reference,
        args=args,
        train_dataset=Dataset.from_list([train[i] for i in order[: steps * 8]]),
        processing_class=AutoProcessor.from_pretrained(path),
    )
    trainer.train()
    return trainer, Dataset.from_list(test)


@pytest.mark.slow
def test_learns_the_direction_of_motion_from_frame_order(tiny_vlm, direction_task, tmp_path):
    trainer, held_out = _train_direction(tiny_vlm, direction_task, tmp_path, shuffle_frames=False)
    metrics = trainer.evaluate(held_out)
    assert metrics["eval_rewards/accuracies"] >= 0.9, metrics
    # What it learned is the order: the same held-out clips with their frames scrambled drop to chance.
    trainer.data_collator = VideoPreferenceCollator(trainer.processing_class, shuffle_frames=True, seed=1)
    assert trainer.evaluate(held_out)["eval_rewards/accuracies"] <= 0.75


@pytest.mark.slow
def test_the_order_blind_control_cannot_learn_it(tiny_vlm, direction_task, tmp_path):
    """Same run with frames scrambled in the collator. The two clips of a pair then have identically
    distributed inputs, so any model scores 0.5 in expectation; on 64 held-out clips the standard error is
    0.0625, and 0.7 is more than three of them above chance (measured: 0.44-0.53)."""
    trainer, held_out = _train_direction(tiny_vlm, direction_task, tmp_path, shuffle_frames=True)
    assert trainer.evaluate(held_out)["eval_rewards/accuracies"] <= 0.7


# ------------------------------------------------------------------------------------------ LoRA


def test_lora_trains_one_copy_of_the_base_weights_with_vision_frozen(tiny_vlm, pairs, tmp_path):
    path = tiny_vlm("qwen2_vl")
    model = AutoModelForImageTextToText.from_pretrained(path)
    base = {name: p.detach().clone() for name, p in model.named_parameters()}
    config = default_lora_config(model)
    assert (config.r, config.lora_alpha, config.lora_dropout) == (128, 256, 0.05)
    args = TimeWarpDPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=2,
        max_steps=2,
        learning_rate=1e-3,
        **QUICK | {"gradient_checkpointing": True},
    )
    trainer = TimeWarpDPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(pairs),
        processing_class=AutoProcessor.from_pretrained(path),
        peft_config=config,
    )
    assert trainer.ref_model is None  # the reference is the policy with its adapter disabled
    named = dict(trainer.model.named_parameters())
    lora = {n: p for n, p in named.items() if "lora_" in n}
    assert len({p.data_ptr() for p in named.values()}) == len(named)
    assert sum(p.numel() for p in named.values()) - sum(p.numel() for p in lora.values()) == sum(
        p.numel() for p in base.values()
    )
    assert lora and all(".language_model." in n for n in lora)  # no adapter on vision, projector, head
    assert {n for n, p in named.items() if p.requires_grad} == set(lora)

    trainer.train()
    for name, param in trainer.model.get_base_model().named_parameters():
        if "lora_" not in name:
            original = name.replace(".base_layer", "")
            assert torch.equal(param, base[original]), name
    assert any(p.abs().sum() > 0 for n, p in lora.items() if "lora_B" in n)


# ----------------------------------------------------------------------- full fine-tuning, bad rows


def test_full_finetuning_with_reference_eval_and_skipped_videos(tiny_vlm, pairs, tmp_path, counter_video):
    path = tiny_vlm("qwen2_5_vl")
    broken = make_corrupt_video(tmp_path / "broken.mp4", "truncated")
    rows = [pairs[0], pair_row(broken, "broken") | {"frame_indices": None}, pairs[1], pairs[2]]
    args = TimeWarpDPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=2,
        max_steps=2,
        learning_rate=1e-3,
        eval_strategy="steps",
        eval_steps=1,
        **QUICK,
    )
    trainer = TimeWarpDPOTrainer(
        model=AutoModelForImageTextToText.from_pretrained(path),
        args=args,
        train_dataset=Dataset.from_list(rows),
        eval_dataset=Dataset.from_list(pairs[2:]),
        processing_class=AutoProcessor.from_pretrained(path),
    )
    reference_before = {n: p.detach().clone() for n, p in trainer.ref_model.named_parameters()}
    trainer.train()

    assert trainer.skipped_video_ids == ["video_id=broken"]
    assert any(log.get("skipped_videos") == 1 for log in trainer.state.log_history)
    assert [log["step"] for log in trainer.state.log_history if "eval_rewards/accuracies" in log] == [1, 2]
    fresh = AutoModelForImageTextToText.from_pretrained(path).state_dict()
    policy = dict(trainer.model.named_parameters())
    assert any(not torch.equal(policy[n], fresh[n]) for n in policy)
    assert all(torch.equal(p, reference_before[n]) for n, p in trainer.ref_model.named_parameters())


def test_a_processor_from_another_model_fails_at_init(tiny_vlm, pairs, tmp_path):
    args = TimeWarpDPOConfig(output_dir=str(tmp_path), **QUICK)

    def build(model_family, processor):
        model = AutoModelForImageTextToText.from_pretrained(tiny_vlm(model_family))
        return TimeWarpDPOTrainer(
            model=model, args=args, train_dataset=Dataset.from_list(pairs), processing_class=processor
        )

    with pytest.raises(ValueError, match=r"video_token_id is 260 in the processor but 262 in the model"):
        build("qwen2_vl", AutoProcessor.from_pretrained(tiny_vlm("llava_onevision")))
    with pytest.raises(ValueError, match=r"patch_size is 16 but the vision tower's is 14"):
        build("qwen2_5_vl", AutoProcessor.from_pretrained(tiny_vlm("qwen3_vl")))
    with pytest.raises(TypeError, match="needs the Video-LLM's processor"):
        build("qwen2_vl", AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl")).tokenizer)
    check_processor_matches_model(
        AutoProcessor.from_pretrained(tiny_vlm("smolvlm")),
        AutoModelForImageTextToText.from_pretrained(tiny_vlm("smolvlm")),
    )


# --------------------------------------------------------------------------- save, reload, resume


def test_adapter_config_and_model_card_save_reload_and_resume(tiny_vlm, pairs, tmp_path):
    path = tiny_vlm("qwen2_vl")
    processor = AutoProcessor.from_pretrained(path)

    def run(output_dir: Path, resume: Path | None = None) -> TimeWarpDPOTrainer:
        model = AutoModelForImageTextToText.from_pretrained(path)
        args = TimeWarpDPOConfig(
            output_dir=str(output_dir),
            per_device_train_batch_size=2,
            max_steps=4,
            learning_rate=1e-3,
            **QUICK | {"save_strategy": "steps", "save_steps": 2},
        )
        trainer = TimeWarpDPOTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_list(pairs),
            processing_class=processor,
            peft_config=default_lora_config(model, r=8, lora_alpha=16),
        )
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
        return trainer

    out = tmp_path / "run"
    first = run(out)
    first.save_model(str(out))
    adapter = {n: p.detach().clone() for n, p in first.model.named_parameters() if "lora_" in n}

    saved = json.loads((out / "adapter_config.json").read_text())
    assert (saved["r"], saved["lora_alpha"]) == (8, 16)
    assert (
        saved["target_modules"]
        == default_lora_config(AutoModelForImageTextToText.from_pretrained(path)).target_modules
    )
    reloaded = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(path), str(out))
    reloaded_params = dict(reloaded.named_parameters())
    assert all(torch.equal(reloaded_params[n], p) for n, p in adapter.items())
    assert AutoProcessor.from_pretrained(out).video_token_id == processor.video_token_id

    card = (out / "README.md").read_text()
    for expected in (
        "pipeline_tag: video-text-to-text",
        "- timewarp",
        "### TimeWarp data and recipe",
        "| preference pairs | 4 |",
        "| recipes | `warped` (4) |",
        "| warps | `reverse` (4) |",
        "LoRA r=8, alpha=16",
        '{"type": "video", "path": "clip.mp4"}',
        "2510.03955",
    ):
        assert expected in card, expected
    assert "## Intended use" in card  # the hub's sections complete TRL's card

    resumed = run(tmp_path / "resumed", resume=out / "checkpoint-2")
    assert resumed.state.global_step == 4
    params = dict(resumed.model.named_parameters())
    for name, value in adapter.items():
        torch.testing.assert_close(params[name], value)


# --------------------------------------------------------------------------------------- script


def test_the_training_script_trains_and_saves_an_adapter(tiny_vlm, pairs, tmp_path):
    data = tmp_path / "pairs"
    DatasetDict({"train": Dataset.from_list(pairs).cast_column("video", Video())}).save_to_disk(str(data))
    out = tmp_path / "out"
    code = main(
        [
            "--model_name_or_path",
            str(tiny_vlm("qwen2_vl")),
            "--dataset_name",
            str(data),
            "--output_dir",
            str(out),
            "--max_steps",
            "2",
            "--per_device_train_batch_size",
            "2",
            "--learning_rate",
            "1e-3",
            "--lora_r",
            "8",
            "--lora_alpha",
            "16",
            "--num_frames",
            "4",
            "--report_to",
            "none",
            "--save_strategy",
            "no",
            "--gradient_checkpointing",
            "false",
            "--disable_tqdm",
            "true",
        ]
    )
    assert code == 0
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 8 and "language_model" in config["target_modules"]
    assert "### TimeWarp data and recipe" in (out / "README.md").read_text()


@pytest.mark.slow
def test_two_processes_train_and_count_skips_across_ranks(tiny_vlm, pairs, tmp_path):
    """Distributed data parallel on 2 CPU processes (gloo), the way `accelerate launch` / `torchrun` run
    it on GPUs. A skipped pair must not desynchronise the ranks (it is replaced, not dropped), and both
    ranks' skips are counted."""
    broken = make_corrupt_video(tmp_path / "broken.mp4", "text")
    rows = [*pairs, *pairs[:3], pair_row(broken, "broken")]
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(str(tmp_path / "pairs"))
    out = tmp_path / "out"
    script = Path(__file__).resolve().parents[1] / "scripts" / "train_dpo.py"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(script),
            "--use_cpu",
            "true",
            "--model_name_or_path",
            str(tiny_vlm("qwen2_vl")),
            "--dataset_name",
            str(tmp_path / "pairs"),
            "--output_dir",
            str(out),
            "--num_train_epochs",
            "1",
            "--per_device_train_batch_size",
            "2",
            "--learning_rate",
            "1e-3",
            "--lora_r",
            "8",
            "--lora_alpha",
            "16",
            "--num_frames",
            "4",
            "--report_to",
            "none",
            "--save_strategy",
            "no",
            "--disable_tqdm",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 pair(s) skipped because their video could not be read: video_id=broken" in done.stdout
    assert "| pairs skipped (unreadable video) | 1 |" in (out / "README.md").read_text()


def test_model_card_data_summary_names_local_folders_without_their_path(tmp_path):
    from timewarp_hf.trainer import _summarize_pairs

    rows = Dataset.from_dict(
        {
            "source": [str(tmp_path / "my_videos")] * 2,
            "recipe": ["warped"] * 2,
            "generator": [f"transformers:{tmp_path}/tiny-vlm (prompts tw-1)"] * 2,
        }
    )
    summary = _summarize_pairs(rows)
    assert summary["source"] == {"my_videos": 2}
    assert summary["generator"] == {"transformers:tiny-vlm (prompts tw-1)": 2}
