"""Tiny, randomly initialised Video-LLMs and text LMs, saved as ordinary local checkpoints.

The rest of the package is written against the public ``transformers`` API (``AutoProcessor``,
``AutoModelForImageTextToText``, ``AutoModelForCausalLM``, chat templates, ``generate``). To test that
code offline, on a CPU, in seconds, we need checkpoints that exercise the *same* code paths as the real
ones (``Qwen/Qwen2.5-VL-*``, ``llava-hf/*``, ...) while being a few hundred kilobytes: real processor
classes, real token-expansion logic for video placeholders, real multimodal RoPE, but a hidden size of
64, two layers and pixel budgets of a few 28/32 px patches per frame. Nothing here downloads anything.

Every checkpoint gets:

* a byte-level BPE tokenizer with **zero merges** (every string is tokenisable, the vocabulary is the 256
  byte symbols plus the family's special tokens), so no tokenizer file has to be fetched;
* a chat template that renders plain-string content and lists of ``text`` / ``image`` / ``video`` parts,
  and honours ``add_generation_prompt``;
* a ``generation_config`` with ``pad_token_id`` and ``eos_token_id`` set, so batched, left-padded
  ``generate`` runs without warnings and stops at the end-of-turn token.

Feeding videos (frames as a uint8 ``(T, C, H, W)`` tensor):

.. code-block:: python

    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(text=[prompt], videos=[frames], video_metadata=[metadata],
                       do_sample_frames=False, return_tensors="pt")

``video_metadata`` (a ``transformers.video_utils.VideoMetadata`` with ``total_num_frames``, ``fps`` and
``frames_indices``) is what Qwen3-VL and SmolVLM turn into per-frame timestamp text, and what
Qwen2.5-VL turns into the temporal spacing of its RoPE positions; without it they assume 24 fps (and
Qwen3-VL / SmolVLM log a warning). Qwen2-VL and LLaVA-OneVision ignore it.

SmolVLM caveat: ``SmolVLMProcessor.apply_chat_template`` swaps in its built-in default template whenever
a message holds a video part. The SmolVLM checkpoint made here therefore uses exactly that template, so
prompts render identically with and without a video part. For a real SmolVLM checkpoint whose own template
differs, render with ``processor.apply_chat_template(messages, chat_template=processor.chat_template)``.
Given a video *file*, SmolVLM's ``apply_chat_template`` samples at most ``fps x duration`` frames (fps 1
unless passed), whatever ``num_frames`` says; decoding the frames yourself avoids both surprises.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["LM_FAMILIES", "VLM_FAMILIES", "make_tiny_lm", "make_tiny_vlm"]

VLM_FAMILIES: tuple[str, ...] = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "llava_onevision", "smolvlm")
LM_FAMILIES: tuple[str, ...] = ("qwen2", "llama")

# Language-model trunk shared by every tiny model: big enough to run every code path, small enough for a
# forward pass of a few milliseconds on one CPU thread.
_TEXT_KWARGS: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
}
_ROPE_THETA = 10000.0

_PAD, _IM_START, _IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
_CHAT_SPECIALS = (_PAD, _IM_START, _IM_END)
_QWEN_VISION_SPECIALS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")


def _chatml_template(image: str, video: str) -> str:
    """ChatML template (no default system prompt, to keep sequences short) with the given placeholders."""
    return (
        "{% for message in messages %}"
        "<|im_start|>{{ message['role'] }}\n"
        "{% if message['content'] is string %}{{ message['content'] }}"
        "{% else %}{% for part in message['content'] %}"
        f"{{% if part['type'] == 'image' %}}{image}"
        f"{{% elif part['type'] == 'video' %}}{video}"
        "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
        "{% endfor %}{% endif %}<|im_end|>\n"
        "{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )


_TEXT_CHAT_TEMPLATE = _chatml_template(image="", video="")
_QWEN_VL_CHAT_TEMPLATE = _chatml_template(
    image="<|vision_start|><|image_pad|><|vision_end|>", video="<|vision_start|><|video_pad|><|vision_end|>"
)
# Qwen3VLProcessor expands a bare <|video_pad|> into "<t seconds><|vision_start|>...<|vision_end|>" for
# every temporal patch, so the template must not wrap it in vision start/end tokens itself.
_QWEN3_VL_CHAT_TEMPLATE = _chatml_template(
    image="<|vision_start|><|image_pad|><|vision_end|>", video="<|video_pad|>"
)
_LLAVA_CHAT_TEMPLATE = _chatml_template(image="<image>\n", video="<video>\n")
# Identical to transformers' SmolVLM DEFAULT_CHAT_TEMPLATE, which SmolVLMProcessor.apply_chat_template
# substitutes whenever a video part is present; using it everywhere keeps renderings consistent.
_SMOLVLM_CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'] is string %}{{': ' + message['content']}}"
    "{% else %}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% elif line['type'] == 'video' %}{{ '<video>' }}"
    "{% endif %}{% endfor %}{% endif %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def _byte_level_tokenizer(specials: tuple[str, ...], chat_template: str, eos_token: str = _IM_END):
    """A Qwen2 tokenizer over the 256 byte-level symbols with no merges, plus ``specials``.

    Zero merges means one token per byte: sequences are long-ish, but any text round-trips and the
    tokenizer is built in memory from nothing.
    """
    from tokenizers import AddedToken, pre_tokenizers
    from transformers import Qwen2Tokenizer

    vocab = {symbol: i for i, symbol in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    for token in specials:
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[], unk_token=_PAD, eos_token=eos_token, pad_token=_PAD)
    tokenizer.add_tokens([AddedToken(token, special=True, normalized=False) for token in specials])
    tokenizer.chat_template = chat_template
    return tokenizer


def _text_config(tokenizer, eos_token: str = _IM_END, **extra: Any) -> dict[str, Any]:
    return {
        "vocab_size": len(tokenizer),
        **_TEXT_KWARGS,
        "bos_token_id": None,
        "eos_token_id": tokenizer.convert_tokens_to_ids(eos_token),
        "pad_token_id": tokenizer.convert_tokens_to_ids(_PAD),
        **extra,
    }


def _qwen_token_ids(tokenizer) -> dict[str, int]:
    ids = tokenizer.convert_tokens_to_ids
    return {
        "image_token_id": ids("<|image_pad|>"),
        "video_token_id": ids("<|video_pad|>"),
        "vision_start_token_id": ids("<|vision_start|>"),
        "vision_end_token_id": ids("<|vision_end|>"),
    }


# Qwen2/2.5-VL: 28 px merged patches; 64x64 frames resize to 56x56 -> 4 tokens per 2-frame group.
_QWEN2_PIXELS = {"shortest_edge": 56 * 56, "longest_edge": 112 * 112}
# Qwen3-VL: 32 px merged patches, and the budget bounds the whole clip (frames x height x width): up to
# 16 frames of 64x64 keep their size -> 4 tokens per 2-frame group.
_QWEN3_PIXELS = {"shortest_edge": 64 * 64, "longest_edge": 16 * 64 * 64}
# Frames a processor samples from a video file when it samples without being told how many. As in the real
# checkpoints, Qwen2/2.5-VL and LLaVA-OneVision decode every frame unless given ``do_sample_frames=True``,
# and SmolVLM treats the count as a maximum next to its 1 frame-per-second rate.
_DEFAULT_NUM_FRAMES = 8


def _qwen2_vl_processor(processor_cls):
    """Qwen2-VL and Qwen2.5-VL share tokenizer, template, image and video processors."""
    from transformers import Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    tokenizer = _byte_level_tokenizer(_CHAT_SPECIALS + _QWEN_VISION_SPECIALS, _QWEN_VL_CHAT_TEMPLATE)
    return processor_cls(
        image_processor=Qwen2VLImageProcessor(size=dict(_QWEN2_PIXELS)),
        video_processor=Qwen2VLVideoProcessor(
            size=dict(_QWEN2_PIXELS), cap_pixels_per_frame=False, num_frames=_DEFAULT_NUM_FRAMES
        ),
        tokenizer=tokenizer,
        chat_template=_QWEN_VL_CHAT_TEMPLATE,
    )


def _qwen2_text_config(tokenizer) -> dict[str, Any]:
    rope = {"rope_type": "default", "rope_theta": _ROPE_THETA, "mrope_section": [2, 3, 3]}
    return _text_config(tokenizer, rope_parameters=rope)


def _build_qwen2_vl():
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLProcessor

    processor = _qwen2_vl_processor(Qwen2VLProcessor)
    config = Qwen2VLConfig(
        text_config=_qwen2_text_config(processor.tokenizer),
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 64,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "temporal_patch_size": 2,
            "spatial_merge_size": 2,
        },
        **_qwen_token_ids(processor.tokenizer),
    )
    return Qwen2VLForConditionalGeneration(config), processor


def _build_qwen2_5_vl():
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor

    processor = _qwen2_vl_processor(Qwen2_5_VLProcessor)
    config = Qwen2_5_VLConfig(
        text_config=_qwen2_text_config(processor.tokenizer),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": 64,
            "patch_size": 14,
            "temporal_patch_size": 2,
            "spatial_merge_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [1],
        },
        **_qwen_token_ids(processor.tokenizer),
    )
    return Qwen2_5_VLForConditionalGeneration(config), processor


def _build_qwen3_vl():
    from transformers import (
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    tokenizer = _byte_level_tokenizer(_CHAT_SPECIALS + _QWEN_VISION_SPECIALS, _QWEN3_VL_CHAT_TEMPLATE)
    processor = Qwen3VLProcessor(
        image_processor=Qwen2VLImageProcessor(patch_size=16, size=dict(_QWEN3_PIXELS)),
        # The stock default (fps=2) is mutually exclusive with a caller's num_frames; sample by count.
        video_processor=Qwen3VLVideoProcessor(
            patch_size=16,
            size=dict(_QWEN3_PIXELS),
            fps=None,
            num_frames=_DEFAULT_NUM_FRAMES,
            cap_pixels_per_frame=False,
        ),
        tokenizer=tokenizer,
        chat_template=_QWEN3_VL_CHAT_TEMPLATE,
    )
    config = Qwen3VLConfig(
        text_config=_text_config(
            tokenizer,
            head_dim=16,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": _ROPE_THETA,
                "mrope_section": [2, 3, 3],
                "mrope_interleaved": True,
            },
        ),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": 64,
            "patch_size": 16,
            "temporal_patch_size": 2,
            "spatial_merge_size": 2,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [1],
        },
        **_qwen_token_ids(tokenizer),
    )
    return Qwen3VLForConditionalGeneration(config), processor


def _build_llava_onevision():
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    tokenizer = _byte_level_tokenizer(_CHAT_SPECIALS + ("<image>", "<video>"), _LLAVA_CHAT_TEMPLATE)
    ids = tokenizer.convert_tokens_to_ids
    # SigLIP at 56 px with 14 px patches: 16 patch tokens per frame, pooled 2x2 for video -> 4 per frame.
    side = {"height": 56, "width": 56}
    processor = LlavaOnevisionProcessor(
        image_processor=LlavaOnevisionImageProcessor(size=dict(side), image_grid_pinpoints=[[56, 56]]),
        video_processor=LlavaOnevisionVideoProcessor(size=dict(side), num_frames=_DEFAULT_NUM_FRAMES),
        tokenizer=tokenizer,
        num_image_tokens=16,
        vision_feature_select_strategy="full",
        chat_template=_LLAVA_CHAT_TEMPLATE,
    )
    config = LlavaOnevisionConfig(
        vision_config={
            "model_type": "siglip_vision_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 56,
            "patch_size": 14,
        },
        text_config={"model_type": "qwen2", **_text_config(tokenizer)},
        image_token_index=ids("<image>"),
        video_token_index=ids("<video>"),
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=[[56, 56]],
    )
    return LlavaOnevisionForConditionalGeneration(config), processor


def _build_smolvlm():
    from transformers import (
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
    )

    eos = "<end_of_utterance>"
    specials = _CHAT_SPECIALS + ("<image>", "<video>", "<fake_token_around_image>", "<global-img>", eos)
    tokenizer = _byte_level_tokenizer(specials, _SMOLVLM_CHAT_TEMPLATE, eos_token=eos)
    # 64 px frames, 16 px patches, pixel-shuffle scale 2: (64/16)^2 / 2^2 = 4 image tokens per frame.
    edge = {"longest_edge": 64}
    processor = SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(
            size=dict(edge), max_image_size=dict(edge), do_image_splitting=False
        ),
        video_processor=SmolVLMVideoProcessor(
            size=dict(edge), max_image_size=dict(edge), num_frames=_DEFAULT_NUM_FRAMES, fps=1
        ),
        tokenizer=tokenizer,
        image_seq_len=4,
        chat_template=_SMOLVLM_CHAT_TEMPLATE,
    )
    config = SmolVLMConfig(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 64,
            "patch_size": 16,
        },
        text_config={"model_type": "llama", **_text_config(tokenizer, eos_token=eos)},
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        # The top-level pad id is a deprecated alias that otherwise defaults to SmolVLM's real 128002.
        pad_token_id=tokenizer.pad_token_id,
        scale_factor=2,
    )
    return SmolVLMForConditionalGeneration(config), processor


_VLM_BUILDERS: dict[str, Callable[[], tuple[Any, Any]]] = {
    "qwen2_vl": _build_qwen2_vl,
    "qwen2_5_vl": _build_qwen2_5_vl,
    "qwen3_vl": _build_qwen3_vl,
    "llava_onevision": _build_llava_onevision,
    "smolvlm": _build_smolvlm,
}


def _build_text_lm(family: str):
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    config_cls, model_cls = {
        "qwen2": (Qwen2Config, Qwen2ForCausalLM),
        "llama": (LlamaConfig, LlamaForCausalLM),
    }[family]
    tokenizer = _byte_level_tokenizer(_CHAT_SPECIALS, _TEXT_CHAT_TEMPLATE)
    config = config_cls(**_text_config(tokenizer, tie_word_embeddings=True))
    return model_cls(config), tokenizer


def _check_family(family: str, accepted: tuple[str, ...], kind: str) -> None:
    if family not in accepted:
        raise ValueError(f"unknown tiny {kind} family {family!r}; expected one of {', '.join(accepted)}")


def _set_generation_ids(model, tokenizer) -> None:
    """Pin pad/eos on the generation config: batched, left-padded ``generate`` then needs no guessing."""
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id


def _build_and_save(build: Callable[[], tuple[Any, Any]], path: str | os.PathLike, seed: int) -> Path:
    # fork_rng keeps the caller's global RNG stream untouched, so building a model inside a test does not
    # change what the rest of the test draws.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, processing = build()
    tokenizer = getattr(processing, "tokenizer", processing)
    _set_generation_ids(model, tokenizer)
    out = Path(path)
    model.save_pretrained(out)
    processing.save_pretrained(out)
    return out


def make_tiny_vlm(path: str | os.PathLike, family: str = "qwen2_vl", seed: int = 0) -> Path:
    """Save a tiny random Video-LLM of ``family`` (one of :data:`VLM_FAMILIES`) to ``path``.

    The folder holds the model (float32 safetensors, well under 1 MB), the processor, the tokenizer and a
    chat template, and loads offline with ``AutoModelForImageTextToText.from_pretrained(path)`` and
    ``AutoProcessor.from_pretrained(path)``. The same ``seed`` gives the same weights; the caller's global
    torch RNG state is left as it was. Returns ``path`` as a :class:`pathlib.Path`.
    """
    _check_family(family, VLM_FAMILIES, "VLM")
    return _build_and_save(_VLM_BUILDERS[family], path, seed)


def make_tiny_lm(path: str | os.PathLike, family: str = "qwen2", seed: int = 0) -> Path:
    """Save a tiny random text-only causal LM of ``family`` (one of :data:`LM_FAMILIES`) to ``path``.

    Loads offline with ``AutoModelForCausalLM`` / ``AutoTokenizer``; the tokenizer carries a ChatML chat
    template. Used wherever the package needs a text LLM (e.g. the explicit recipe's QA writer) in tests.
    Deterministic in ``seed``; the caller's global torch RNG state is left as it was.
    """
    _check_family(family, LM_FAMILIES, "LM")
    return _build_and_save(lambda: _build_text_lm(family), path, seed)
