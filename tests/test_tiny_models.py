"""The tiny checkpoints of ``timewarp_hf.testing.models`` load with the Auto classes, take videos through
their processors exactly like real checkpoints, and generate; Qwen2.5/3-VL see frame order in RoPE."""

import logging
import math

import pytest
import torch
from safetensors.torch import load_file
from transformers import (
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    AutoProcessor,
    AutoTokenizer,
)
from transformers.video_utils import VideoMetadata

from timewarp_hf.testing import LM_FAMILIES, VLM_FAMILIES, make_tiny_lm, make_tiny_vlm

NUM_FRAMES = 8
SIDE = 64


def moving_square(num_frames: int = NUM_FRAMES, side: int = SIDE, reverse: bool = False) -> torch.Tensor:
    """uint8 (T, C, H, W): a bright 16 px square crossing a dark frame left to right (or right to left)."""
    frames = torch.full((num_frames, 3, side, side), 16, dtype=torch.uint8)
    square = side // 4
    for t in range(num_frames):
        x = round(t * (side - square) / (num_frames - 1))
        frames[t, :, (side - square) // 2 : (side + square) // 2, x : x + square] = 240
    return frames.flip(0) if reverse else frames


def metadata(num_frames: int = NUM_FRAMES, fps: float = 1.0) -> VideoMetadata:
    return VideoMetadata(total_num_frames=num_frames, fps=fps, frames_indices=list(range(num_frames)))


def video_messages(question: str) -> list[dict]:
    return [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": question}]}]


def video_inputs(processor, questions: list[str], videos: list[torch.Tensor], fps: float = 1.0):
    """The documented way to feed pre-decoded frames: render the template, then ``processor(text, videos)``.

    ``video_metadata`` is passed to every family: Qwen3-VL and SmolVLM turn it into timestamp text,
    Qwen2.5-VL into RoPE time spacing, and the others ignore it.
    """
    prompts = [
        processor.apply_chat_template(video_messages(q), add_generation_prompt=True) for q in questions
    ]
    return processor(
        text=prompts,
        videos=videos,
        video_metadata=[metadata(len(v), fps) for v in videos],
        do_sample_frames=False,
        padding=True,
        padding_side="left",
        return_tensors="pt",
    )


def expected_video_tokens(model, inputs) -> tuple[int, int]:
    """(placeholder token id, how many of them the model's vision tower will fill), from the model config."""
    config = model.config
    model_type = config.model_type
    if model_type in ("qwen2_vl", "qwen2_5_vl", "qwen3_vl"):
        merge = config.vision_config.spatial_merge_size
        return config.video_token_id, int(inputs["video_grid_thw"].prod(-1).sum()) // merge**2
    if model_type == "llava_onevision":
        vision = config.vision_config
        pooled = math.ceil(vision.image_size // vision.patch_size / 2) ** 2  # 2x2 pooling per frame
        num_videos, num_frames = inputs["pixel_values_videos"].shape[:2]
        return config.video_token_index, num_videos * (num_frames * pooled + 1)  # +1: newline embedding
    if model_type == "smolvlm":
        vision = config.vision_config
        per_frame = (vision.image_size // vision.patch_size) ** 2 // config.scale_factor**2
        num_videos, num_frames = inputs["pixel_values"].shape[:2]
        return config.image_token_id, num_videos * num_frames * per_frame
    raise AssertionError(f"no expectation for {model_type}")


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory):
    """``tiny_vlm(family) -> (processor, model)``, built and loaded once per session."""
    loaded = {}

    def get(family: str):
        if family not in loaded:
            path = make_tiny_vlm(tmp_path_factory.mktemp(family), family)
            processor = AutoProcessor.from_pretrained(path)
            model = AutoModelForImageTextToText.from_pretrained(path).eval()
            loaded[family] = processor, model
        return loaded[family]

    return get


@pytest.fixture
def transformers_warnings():
    """Warnings logged by transformers (e.g. right padding detected, pad token unset) during the test."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.mark.parametrize("family", VLM_FAMILIES)
def test_vlm_forward_and_generate_on_video(tiny_vlm, family):
    processor, model = tiny_vlm(family)
    inputs = video_inputs(processor, ["Which way does the square move?"], [moving_square()])

    token_id, expected = expected_video_tokens(model, inputs)
    num_placeholders = int((inputs["input_ids"] == token_id).sum())
    assert num_placeholders > 0
    assert num_placeholders == expected

    with torch.no_grad():
        logits = model(**inputs).logits
        generated = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert logits.shape == (1, inputs["input_ids"].shape[1], model.config.get_text_config().vocab_size)
    assert torch.isfinite(logits).all()
    assert generated.shape[1] <= inputs["input_ids"].shape[1] + 4
    assert torch.equal(generated[:, : inputs["input_ids"].shape[1]], inputs["input_ids"])


@pytest.mark.parametrize("family", VLM_FAMILIES)
def test_vlm_batched_left_padded_generate(tiny_vlm, family, transformers_warnings):
    processor, model = tiny_vlm(family)
    questions = ["Which way?", "In which direction does the bright square move across the frame?"]
    videos = [moving_square(), moving_square(reverse=True)]
    batch = video_inputs(processor, questions, videos)
    assert batch["attention_mask"][0, 0] == 0 and batch["attention_mask"][1, 0] == 1  # left padded

    with torch.no_grad():
        generated = model.generate(**batch, max_new_tokens=4, do_sample=False)
        single = video_inputs(processor, questions[:1], videos[:1])
        alone = model.generate(**single, max_new_tokens=4, do_sample=False)

    prompt_length = batch["input_ids"].shape[1]
    assert generated.shape[0] == 2 and generated.shape[1] <= prompt_length + 4
    # Left padding must not change what the shorter prompt generates.
    assert torch.equal(generated[0, prompt_length:], alone[0, single["input_ids"].shape[1] :])
    assert not transformers_warnings, [r.getMessage() for r in transformers_warnings]


@pytest.mark.parametrize("family", VLM_FAMILIES)
def test_vlm_generation_config_and_chat_template(tiny_vlm, family):
    processor, model = tiny_vlm(family)
    tokenizer = processor.tokenizer
    assert model.generation_config.pad_token_id == tokenizer.pad_token_id
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    assert model.generation_config.eos_token_id == model.config.get_text_config().eos_token_id

    structured = [
        {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
    ]
    plain = [{"role": m["role"], "content": m["content"][0]["text"]} for m in structured]
    rendered = processor.apply_chat_template(plain)
    assert rendered == processor.apply_chat_template(structured)
    assert all(text in rendered for text in ("Be brief.", "Hi", "Hello"))
    assert tokenizer.eos_token in rendered
    with_prompt = processor.apply_chat_template(plain[:2], add_generation_prompt=True)
    assert len(with_prompt) > len(processor.apply_chat_template(plain[:2]))
    # String content survives next to a video part (SmolVLM swaps in its default template then).
    with_video = processor.apply_chat_template([plain[0], *video_messages("Hi")])
    assert "Be brief." in with_video and "Hi" in with_video


@pytest.mark.parametrize(
    ("family", "timestamp"), [("qwen3_vl", "<6.5 seconds>"), ("smolvlm", "Frame from 00:07")]
)
def test_video_metadata_becomes_timestamps(tiny_vlm, family, timestamp):
    processor, _ = tiny_vlm(family)
    inputs = video_inputs(processor, ["When?"], [moving_square()], fps=1.0)  # frames at 0..7 s
    assert timestamp in processor.tokenizer.decode(inputs["input_ids"][0])


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl"])
def test_temporal_rope_positions_increase_across_frames(tiny_vlm, family):
    processor, model = tiny_vlm(family)
    inputs = video_inputs(processor, ["Which way?"], [moving_square()])
    extra = {key: inputs[key] for key in ("video_grid_thw", "second_per_grid_ts") if key in inputs}
    position_ids, _ = model.model.get_rope_index(
        input_ids=inputs["input_ids"],
        mm_token_type_ids=inputs["mm_token_type_ids"],
        attention_mask=inputs["attention_mask"],
        **extra,
    )
    assert position_ids.shape == (3, *inputs["input_ids"].shape)

    temporal = position_ids[0, 0][inputs["input_ids"][0] == model.config.video_token_id]
    grid_t, grid_h, grid_w = inputs["video_grid_thw"][0].tolist()
    merge = model.config.vision_config.spatial_merge_size
    assert grid_t == NUM_FRAMES // model.config.vision_config.temporal_patch_size
    groups = temporal.view(grid_t, grid_h * grid_w // merge**2)
    assert (temporal[1:] >= temporal[:-1]).all()
    assert temporal.unique().numel() >= 2
    assert (groups == groups[:, :1]).all()  # one time position per frame group
    assert (groups[1:, 0] > groups[:-1, 0]).all()  # later frame groups sit later in time


@pytest.mark.parametrize("family", LM_FAMILIES)
def test_tiny_lm_forward_and_generate(tmp_path, family, transformers_warnings):
    path = make_tiny_lm(tmp_path / family, family)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    assert model.config.model_type == family
    assert model.generation_config.pad_token_id == tokenizer.pad_token_id
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id

    conversations = [
        [{"role": "user", "content": "hi"}],
        [{"role": "user", "content": [{"type": "text", "text": "Write three questions about the video."}]}],
    ]
    prompts = [
        tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in conversations
    ]
    assert prompts[0].endswith("<|im_start|>assistant\n") and "Write three questions" in prompts[1]
    batch = tokenizer(prompts, padding=True, padding_side="left", return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
        generated = model.generate(**batch, max_new_tokens=4, do_sample=False)
    assert logits.shape == (2, batch["input_ids"].shape[1], len(tokenizer))
    assert generated.shape[0] == 2 and generated.shape[1] <= batch["input_ids"].shape[1] + 4
    assert not transformers_warnings, [r.getMessage() for r in transformers_warnings]


def test_unknown_family_raises(tmp_path):
    with pytest.raises(ValueError, match="qwen2_vl, qwen2_5_vl, qwen3_vl, llava_onevision, smolvlm"):
        make_tiny_vlm(tmp_path, "gpt4v")
    with pytest.raises(ValueError, match="qwen2, llama"):
        make_tiny_lm(tmp_path, "qwen2_vl")
    assert not any(tmp_path.iterdir())


def test_same_seed_same_weights_and_global_rng_untouched(tmp_path):
    rng_before = torch.random.get_rng_state()
    first = load_file(make_tiny_vlm(tmp_path / "a", seed=3) / "model.safetensors")
    second = load_file(make_tiny_vlm(tmp_path / "b", seed=3) / "model.safetensors")
    other = load_file(make_tiny_vlm(tmp_path / "c", seed=4) / "model.safetensors")
    assert torch.equal(torch.random.get_rng_state(), rng_before)

    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert any(not torch.equal(first[name], other[name]) for name in first)

    lm_a = load_file(make_tiny_lm(tmp_path / "lm_a", "llama", seed=3) / "model.safetensors")
    lm_b = load_file(make_tiny_lm(tmp_path / "lm_b", "llama", seed=3) / "model.safetensors")
    assert all(torch.equal(lm_a[name], lm_b[name]) for name in lm_a)
