"""VideoPreferenceCollator: every tiny family, every accepted source, true metadata, bad input."""

from __future__ import annotations

import logging
import re

import pytest
import torch
from datasets import Dataset, Video
from transformers import AutoModelForImageTextToText, AutoProcessor

from timewarp_hf import clips as clips_module
from timewarp_hf.collator import SKIPPED_VIDEOS_KEY, VideoPreferenceCollator, load_clip
from timewarp_hf.testing import (
    VLM_FAMILIES,
    make_corrupt_video,
    make_synthetic_video,
    make_tiny_vlm,
    read_frame_counter,
)
from timewarp_hf.video import VideoDecodeError

QUESTION = "Which way does the square move?"


@pytest.fixture(scope="session")
def tiny_vlm(assets):
    """Factory: path of a tiny checkpoint of the family, built once per session."""
    paths = {}

    def get(family: str):
        if family not in paths:
            paths[family] = make_tiny_vlm(assets / f"tiny-{family}", family)
        return paths[family]

    return get


@pytest.fixture(scope="module")
def left_video(assets):
    """24 frames at 4 fps, square moving left, frame number burned in."""
    return make_synthetic_video(assets / "left_4fps.mp4", num_frames=24, fps=4, direction="left")


def builder_row(video, video_id="clip", frame_indices=None, question=QUESTION):
    """A row exactly as the TimeWarp builder writes it (Arrow fills the video part's text with None)."""
    row = {
        "prompt": [
            {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": question}]}
        ],
        "chosen": [{"role": "assistant", "content": [{"type": "text", "text": "It moves right."}]}],
        "rejected": [{"role": "assistant", "content": [{"type": "text", "text": "It moves to the left."}]}],
        "video": str(video) if not isinstance(video, dict) else video,
        "video_id": video_id,
        "fps": 8.0,
        "recipe": "warped",
        "warp": '{"name": "reverse"}',
    }
    if frame_indices is not None:
        row["frame_indices"] = frame_indices
    return row


def counters(clip):
    return [read_frame_counter(frame) for frame in clip.frames]


@pytest.mark.parametrize("family", VLM_FAMILIES)
def test_every_family_collates_a_dpo_batch_its_model_accepts(family, tiny_vlm, counter_video, left_video):
    path = tiny_vlm(family)
    processor = AutoProcessor.from_pretrained(path)
    model = AutoModelForImageTextToText.from_pretrained(path)
    collator = VideoPreferenceCollator(processor, num_frames=8)
    rows = [
        builder_row(counter_video, "a", frame_indices=[0, 5, 10, 15, 20, 25, 30, 35]),
        builder_row(left_video, "b"),
    ]
    batch = collator(rows)

    assert batch[SKIPPED_VIDEOS_KEY] == []
    ids, attention, completion = batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
    assert ids.shape[0] == 4 and attention.shape == completion.shape == ids.shape
    placeholder = processor.video_token_id if family != "smolvlm" else processor.image_token_id
    for i in range(2):  # chosen row i and rejected row i + 2 share the prompt, video tokens included
        prompt_i = ids[i][(attention[i] == 1) & (completion[i] == 0)]
        prompt_r = ids[i + 2][(attention[i + 2] == 1) & (completion[i + 2] == 0)]
        assert torch.equal(prompt_i, prompt_r)
        assert (prompt_i == placeholder).sum() > 0
        assert (ids[i][completion[i] == 1] == placeholder).sum() == 0
    answers = [processor.tokenizer.decode(ids[i][completion[i] == 1]) for i in (0, 2)]
    assert "It moves right." in answers[0] and "It moves to the left." in answers[1]

    # The prompt side is processed once and repeated for the rejected half: it must equal processing 2B.
    clips, _ = collator.load_videos(rows)
    prompts = [
        processor.apply_chat_template(
            [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": QUESTION}]}],
            add_generation_prompt=True,
        )
    ] * 2
    direct = processor(
        text=prompts * 2,
        videos=[c[0].frames for c in clips] * 2,
        video_metadata=[c[0].metadata for c in clips] * 2,
        do_sample_frames=False,
        padding=True,
        return_tensors="pt",
    )
    for key in direct.keys() - {"input_ids", "attention_mask", "mm_token_type_ids", "token_type_ids"}:
        assert torch.equal(torch.as_tensor(batch[key]), torch.as_tensor(direct[key])), key

    inputs = {k: v for k, v in batch.items() if k not in ("completion_mask", SKIPPED_VIDEOS_KEY)}
    with torch.no_grad():
        assert torch.isfinite(model(**inputs).logits).all()


def test_each_video_is_opened_and_decoded_once_per_batch(tiny_vlm, counter_video, left_video, monkeypatch):
    calls = {"open": 0, "decode": 0}
    real_open, real_decode = clips_module.open_video, clips_module.decode_frames

    def counting_open(*args, **kwargs):
        calls["open"] += 1
        return real_open(*args, **kwargs)

    def counting_decode(*args, **kwargs):
        calls["decode"] += 1
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(clips_module, "open_video", counting_open)
    monkeypatch.setattr(clips_module, "decode_frames", counting_decode)
    collator = VideoPreferenceCollator(AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl")), num_frames=4)
    rows = [
        builder_row(counter_video, "a", frame_indices=[0, 10, 20, 30], question="What moves?"),
        builder_row(left_video, "b"),
        builder_row(counter_video, "a", frame_indices=[1, 11, 21, 31], question="Where does it end?"),
    ]
    clips, _ = collator.load_videos(rows)
    assert calls == {"open": 2, "decode": 2}
    assert counters(clips[0][0]) == [0, 10, 20, 30] and counters(clips[2][0]) == [1, 11, 21, 31]


def test_frame_indices_are_decoded_exactly_with_the_true_metadata(tiny_vlm, counter_video):
    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    row = builder_row(counter_video, frame_indices=[3, 9, 17, 30])

    clip = VideoPreferenceCollator(processor).load_videos([row])[0][0][0]
    assert counters(clip) == [3, 9, 17, 30]
    meta = clip.metadata
    assert (meta.fps, meta.total_num_frames, meta.frames_indices) == (8.0, 40, [3, 9, 17, 30])

    uniform = VideoPreferenceCollator(processor, use_frame_indices=False).load_videos([row])[0][0][0]
    assert counters(uniform) == uniform.metadata.frames_indices == [0, 6, 11, 17, 22, 28, 33, 39]

    capped = VideoPreferenceCollator(processor, max_frames=2).load_videos([row])[0][0][0]
    assert counters(capped) == [3, 30]

    # a pair generated from captions alone carries no frames of its own
    captions_only = builder_row(counter_video, frame_indices=[])
    assert counters(VideoPreferenceCollator(processor).load_videos([captions_only])[0][0][0]) == counters(
        uniform
    )


def _source_rows(kind, video):
    row = builder_row(video)
    if kind == "path_dict":
        row["video"] = {"path": str(video), "bytes": None}
    elif kind == "bytes_dict":
        row["video"] = {"path": None, "bytes": video.read_bytes()}
    elif kind == "datasets_video":  # what a Video() column yields: an opened torchcodec decoder
        row["video"] = Dataset.from_dict({"video": [str(video)]}).cast_column("video", Video())[0]["video"]
    elif kind == "trl_videos_column":  # plain TRL row: string content, a `videos` list of paths
        row = {
            "prompt": [{"role": "user", "content": QUESTION}],
            "chosen": [{"role": "assistant", "content": "It moves right."}],
            "rejected": [{"role": "assistant", "content": "It moves to the left."}],
            "videos": [str(video)],
        }
    return row


@pytest.mark.parametrize("kind", ["path", "path_dict", "bytes_dict", "datasets_video", "trl_videos_column"])
def test_every_kind_of_video_value_gives_the_same_frames(kind, tiny_vlm, counter_video):
    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    collator = VideoPreferenceCollator(processor, num_frames=4)
    clip = collator.load_videos([_source_rows(kind, counter_video)])[0][0][0]
    assert counters(clip) == [0, 13, 26, 39]
    batch = collator([_source_rows(kind, counter_video)])
    assert (batch["input_ids"] == processor.video_token_id).sum() == 2 * 2 * 4  # 2 rows x 2 groups x 4 tokens


def test_frame_folders_are_read_in_natural_order(tmp_path, tiny_vlm, counter_video):
    from PIL import Image

    folder = tmp_path / "frames"
    folder.mkdir()
    frames = load_clip(counter_video, frame_indices=list(range(12))).frames
    for i in reversed(range(12)):  # written out of order; names sort wrongly as plain strings
        Image.fromarray(frames[i].permute(1, 2, 0).numpy()).save(folder / f"c01_{i + 1}.png")
    assert sorted(p.name for p in folder.iterdir())[:3] == ["c01_1.png", "c01_10.png", "c01_11.png"]

    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    collator = VideoPreferenceCollator(processor, num_frames=12, folder_fps=3.0)
    clip = collator.load_videos([builder_row(folder)])[0][0][0]
    assert counters(clip) == list(range(12))
    assert (clip.metadata.fps, clip.metadata.total_num_frames) == (3.0, 12)
    assert collator([builder_row(folder)])["pixel_values_videos"].shape[0] > 0


def test_shuffle_frames_scrambles_order_but_not_content_or_timestamps(tiny_vlm, counter_video):
    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    row = builder_row(counter_video, frame_indices=[0, 5, 10, 15, 20, 25, 30, 35])

    def draw(collator):
        return [counters(collator.load_videos([row])[0][0][0]) for _ in range(3)]

    shuffled = VideoPreferenceCollator(processor, shuffle_frames=True, seed=7)
    orders = draw(shuffled)
    assert all(sorted(order) == row["frame_indices"] for order in orders)
    assert all(order != row["frame_indices"] for order in orders)
    assert len({tuple(order) for order in orders}) == 3  # a fresh permutation on every call
    assert draw(VideoPreferenceCollator(processor, shuffle_frames=True, seed=7)) == orders  # seeded
    clip = shuffled.load_videos([row])[0][0][0]
    assert clip.metadata.frames_indices == row["frame_indices"]  # timestamps keep true order: no leak


def test_unreadable_videos_are_skipped_by_id_or_raise(tmp_path, tiny_vlm, counter_video, caplog):
    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    broken = make_corrupt_video(tmp_path / "broken.mp4", "text")
    rows = [
        builder_row(counter_video, "good-1"),
        builder_row(broken, "broken"),
        builder_row(tmp_path / "missing.mp4", "missing"),
        builder_row(counter_video, "wrong-indices", frame_indices=[0, 10, 400]),
        builder_row(counter_video, "good-2"),
    ]
    collator = VideoPreferenceCollator(processor, num_frames=4)
    with caplog.at_level(logging.WARNING, logger="timewarp_hf.collator"):
        batch = collator(rows)
    skipped = ["video_id=broken", "video_id=missing", "video_id=wrong-indices"]
    assert batch[SKIPPED_VIDEOS_KEY] == skipped
    assert all(name in caplog.text for name in skipped)
    # Readable pairs stand in for the skipped ones: every rank of a distributed run keeps its batch size.
    assert batch["input_ids"].shape[0] == 2 * len(rows)
    # A batch with no readable pair at all reuses the last readable one...
    alone = collator([builder_row(broken, "broken")])
    assert alone["input_ids"].shape[0] == 2 and alone[SKIPPED_VIDEOS_KEY] == ["video_id=broken"]
    # ...and fails clearly when there is none yet.
    with pytest.raises(RuntimeError, match=r"every pair of the first batch .*video_id=broken"):
        VideoPreferenceCollator(processor)([builder_row(broken, "broken")])

    with pytest.raises(VideoDecodeError, match=r"video_id=broken .*on_decode_error='skip'"):
        VideoPreferenceCollator(processor, on_decode_error="raise")(rows)


def test_bad_rows_fail_with_a_message_naming_the_row(tiny_vlm, counter_video):
    collator = VideoPreferenceCollator(AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl")))
    with pytest.raises(ValueError, match=r"video_id=clip: frame_indices .* not strictly increasing"):
        collator.load_videos([builder_row(counter_video, frame_indices=[9, 3, 17])])
    two_parts = builder_row(counter_video)
    two_parts["prompt"][0]["content"].insert(0, {"type": "video"})
    with pytest.raises(
        ValueError, match=r"video_id=clip: the prompt has 2 video part\(s\) but the row has 1"
    ):
        collator([two_parts])
    standard = builder_row(counter_video) | {"prompt": QUESTION, "chosen": "right", "rejected": "left"}
    with pytest.raises(ValueError, match="conversational"):
        collator([standard])


def test_max_length_never_cuts_the_video_and_names_the_knobs(tiny_vlm, counter_video):
    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    row = builder_row(counter_video)
    full = VideoPreferenceCollator(processor)([row])
    prompt_length = int(((full["completion_mask"][0] == 0) & (full["attention_mask"][0] == 1)).sum())
    total = full["input_ids"].shape[1]

    cut = VideoPreferenceCollator(processor, max_length=prompt_length + 3)([row])
    assert cut["input_ids"].shape[1] == prompt_length + 3 < total  # only answer tokens were dropped
    assert int(cut["completion_mask"][0].sum()) == 3

    with pytest.raises(ValueError, match=r"num_frames.*max_pixels.*max_length") as error:
        VideoPreferenceCollator(processor, max_length=prompt_length - 5)([row])
    assert re.search(rf"takes {prompt_length} tokens", str(error.value))


def test_max_pixels_bounds_the_video_tokens(tmp_path, tiny_vlm):
    processor = AutoProcessor.from_pretrained(tiny_vlm("qwen2_vl"))
    big = make_synthetic_video(tmp_path / "big.mp4", num_frames=16, width=224, height=112)
    row = builder_row(big)
    tokens = {
        budget: int(
            (
                VideoPreferenceCollator(processor, max_pixels=budget)([row])["input_ids"][0]
                == processor.video_token_id
            ).sum()
        )
        for budget in (None, 56 * 56)
    }
    assert tokens[56 * 56] < tokens[None]
    clip = load_clip(big, max_pixels=56 * 56)
    assert clip.frames.shape[-2] * clip.frames.shape[-1] <= 56 * 56
    assert clip.frames.shape[-1] / clip.frames.shape[-2] == pytest.approx(2, rel=0.05)  # aspect kept


def _video_temporal_groups(model, batch, row: int, family: str) -> list[torch.Tensor]:
    kwargs = {"attention_mask": batch["attention_mask"], "video_grid_thw": batch["video_grid_thw"]}
    if family == "qwen2_5_vl":
        kwargs["second_per_grid_ts"] = batch["second_per_grid_ts"]
    positions, _ = model.model.get_rope_index(batch["input_ids"], batch["mm_token_type_ids"], **kwargs)
    temporal = positions[0, row][batch["mm_token_type_ids"][row] == 2]
    groups = int(batch["video_grid_thw"][row, 0])
    return list(temporal.view(groups, -1))


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl"])
def test_temporal_position_ids_increase_across_frames(family, tiny_vlm, counter_video):
    path = tiny_vlm(family)
    processor = AutoProcessor.from_pretrained(path)
    model = AutoModelForImageTextToText.from_pretrained(path)
    # 8 frames spread over a 5 s clip at 8 fps: the sampled rate is 1.6 fps, far from the 24 fps assumed
    # when no metadata is passed.
    batch = VideoPreferenceCollator(processor, num_frames=8)([builder_row(counter_video)])
    groups = _video_temporal_groups(model, batch, 0, family)
    assert len(groups) == 4
    for earlier, later in zip(groups, groups[1:]):
        assert later.min() > earlier.max()
    if family == "qwen2_5_vl":
        # interval = tokens_per_second x temporal_patch_size / sampled fps = 4 x 2 / 1.6 = 5 positions
        assert batch["second_per_grid_ts"].tolist() == pytest.approx([1.25, 1.25])
        assert [int(b[0]) - int(a[0]) for a, b in zip(groups, groups[1:])] == [5, 5, 5]
    else:
        # Qwen3-VL writes each frame pair's time as text: it must reach the end of the 5 s clip.
        text = processor.tokenizer.decode(batch["input_ids"][0])
        stamps = [float(t) for t in re.findall(r"<(\d+\.\d) seconds>", text)]
        assert len(stamps) == 4 and stamps == sorted(stamps) and stamps[-1] > 4.0
