"""Local generation with ``transformers``: a Video-LLM (``AutoModelForImageTextToText``) or a text LM.

Requests are grouped (video vs text, same ``max_new_tokens``) and run in batches with left padding, greedy
by default: on a GPU one batch of 8 costs little more than one request. Frames are handed to the processor
already decoded, with :class:`~transformers.video_utils.VideoMetadata` saying the rate they are shown at,
so models that encode time (Qwen2.5-VL's temporal RoPE, Qwen3-VL's timestamps) see the intended clip.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import groupby
from typing import Any

import torch
from tqdm.auto import tqdm

from .base import GenerationBackend, GenerationRequest

__all__ = ["TransformersBackend"]

logger = logging.getLogger(__name__)


class TransformersBackend(GenerationBackend):
    """Generate with a local path or Hub id.

    Args:
        model: path or Hub id (``Qwen/Qwen2.5-VL-3B-Instruct``, a local tiny model, ...), or a loaded model.
        processor: its processor or tokenizer (loaded from ``model`` when omitted).
        batch_size: requests per ``generate`` call.
        max_new_tokens: default answer length (a request may override it).
        do_sample, temperature: greedy unless ``do_sample``.
        device_map, dtype: passed to ``from_pretrained`` (``dtype="auto"`` keeps the checkpoint's).
        progress: show a tqdm bar over calls.
    """

    name = "transformers"

    def __init__(
        self,
        model: Any,
        processor: Any = None,
        *,
        batch_size: int = 8,
        max_new_tokens: int = 256,
        do_sample: bool = False,
        temperature: float | None = None,
        device_map: str | dict | None = None,
        dtype: str | torch.dtype = "auto",
        progress: bool = True,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if isinstance(model, str):
            self.model_id = model
            self.model, self.processor, self.supports_video = _load(model, device_map=device_map, dtype=dtype)
        else:
            if processor is None:
                raise ValueError("pass the processor (or tokenizer) together with a loaded model")
            self.model, self.processor = model, processor
            self.model_id = getattr(model, "name_or_path", type(model).__name__)
            self.supports_video = hasattr(processor, "video_processor")
        if processor is not None:
            self.processor = processor
        self.model.eval()
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        self.do_sample, self.temperature, self.progress = do_sample, temperature, progress

    def cache_namespace(self) -> dict[str, Any]:
        return {
            **super().cache_namespace(),
            "do_sample": self.do_sample,
            "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens,
        }

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        results: list[str | None] = [None] * len(requests)

        def group(i: int) -> tuple[bool, int]:
            r = requests[i]
            return r.frames is not None, r.max_new_tokens or self.max_new_tokens

        order = sorted(range(len(requests)), key=group)
        bar = tqdm(
            total=len(requests),
            desc=f"generating ({self.model_id})",
            unit="call",
            # passing disable only when off keeps TQDM_DISABLE=1 working
            **({} if self.progress and requests else {"disable": True}),
            leave=False,
        )
        for (has_frames, max_new), members in groupby(order, key=group):
            members = list(members)
            if has_frames and not self.supports_video:
                raise ValueError(
                    f"{self.model_id} is a text-only model; it cannot answer a request with frames"
                )
            for start in range(0, len(members), self.batch_size):
                batch = members[start : start + self.batch_size]
                texts = self._generate_batch([requests[i] for i in batch], has_frames, max_new)
                for i, text in zip(batch, texts):
                    results[i] = text
                bar.update(len(batch))
        bar.close()
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def _generate_batch(
        self, batch: list[GenerationRequest], has_frames: bool, max_new_tokens: int
    ) -> list[str]:
        prompts = [self._render(r.messages) for r in batch]
        if has_frames:
            from transformers.video_utils import VideoMetadata

            metadata = []
            for r in batch:
                count, fps = r.frames.shape[0], float(r.fps or 1.0)
                metadata.append(
                    VideoMetadata(
                        total_num_frames=count,
                        fps=fps,
                        frames_indices=list(range(count)),
                        duration=count / fps,
                    )
                )
            inputs = self.processor(
                text=prompts,
                videos=[r.frames for r in batch],
                video_metadata=metadata,
                do_sample_frames=False,
                padding=True,
                return_tensors="pt",
            )
        else:
            call = self.processor if not self.supports_video else self.processor.tokenizer
            inputs = call(text=prompts, padding=True, return_tensors="pt")
        inputs = inputs.to(self.model.device)
        options: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "do_sample": self.do_sample,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if self.do_sample and self.temperature is not None:
            options["temperature"] = self.temperature
        output = self.model.generate(**inputs, **options)
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        return [t.strip() for t in self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]

    def _render(self, messages: list[dict[str, Any]]) -> str:
        # Render with the checkpoint's own template (SmolVLM's processor would swap in its default one
        # when a video part is present).
        template = getattr(self.processor, "chat_template", None) or getattr(
            self.tokenizer, "chat_template", None
        )
        return self.processor.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, chat_template=template
        )


def _load(model_id: str, *, device_map: Any, dtype: Any) -> tuple[Any, Any, bool]:
    """Load a Video-LLM with its processor, or else a causal LM with its tokenizer."""
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForImageTextToText,
        AutoProcessor,
        AutoTokenizer,
    )
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    config = AutoConfig.from_pretrained(model_id)
    kwargs = {"dtype": dtype, **({"device_map": device_map} if device_map is not None else {})}
    if config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
        processor = AutoProcessor.from_pretrained(model_id)
        model = AutoModelForImageTextToText.from_pretrained(model_id, **kwargs)
        return model, processor, hasattr(processor, "video_processor")
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    return AutoModelForCausalLM.from_pretrained(model_id, **kwargs), tokenizer, False
