"""Multiple choice by likelihood: which option text does the model find most probable after the prompt?

Small models (the tiny ones of the miniature reproduction, or any model that does not follow "answer with
the letter") cannot be scored by reading their free text. Instead each option is scored by the summed
log-probability of its tokens right after the prompt and the video, as lmms-eval's ``*_mcppl`` tasks do,
and the highest wins. It is deterministic (no sampling) and costs one forward pass per question: the
options of a question form one batch, the video processed once by the processor and repeated.

Summed log-probabilities favour short options (every token costs probability): an untrained model tends
to pick the shortest option, whatever the video. The bias is the same for every model scored on the same
options, so base-versus-tuned comparisons stay fair; the per-option sums are kept in the predictions file
(``option_logprobs``) so every verdict can be audited.

The prompt is rendered with the chat template and processed with the video as the training collator does
(``videos=[frames]``, ``video_metadata=[...]``, ``do_sample_frames=False``, no extra special tokens), with
the same frame metadata as generation (:func:`video_metadata`); each option's token ids (tokenised alone)
are appended after it, so the span scored is known exactly from the processed prompt's length, whatever
the tokenizer would merge across the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers.video_utils import VideoMetadata

__all__ = ["LikelihoodScorer", "video_metadata"]


def video_metadata(frames: torch.Tensor, fps: float) -> VideoMetadata:
    """Metadata for already sampled frames shown at ``fps``, as the ``transformers`` backend passes it, so
    models that encode time (Qwen2.5-VL's RoPE, Qwen3-VL's and SmolVLM's timestamps) see the same clip."""
    count = int(frames.shape[0])
    return VideoMetadata(
        total_num_frames=count, fps=fps, frames_indices=list(range(count)), duration=count / fps
    )


class LikelihoodScorer:
    """Sum of log-probabilities of continuations after a video prompt.

    Args:
        model: A loaded ``AutoModelForImageTextToText`` (any family whose processor takes ``videos=``).
        processor: Its processor.
    """

    def __init__(self, model: Any, processor: Any):
        self.model, self.processor = model, processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.template = getattr(processor, "chat_template", None) or getattr(
            self.tokenizer, "chat_template", None
        )

    def render(self, messages: list[dict[str, Any]]) -> str:
        """The prompt text, with the generation prompt, in the checkpoint's own chat template."""
        return self.processor.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, chat_template=self.template
        )

    @torch.inference_mode()
    def score(
        self, messages: list[dict[str, Any]], frames: torch.Tensor, fps: float, continuations: Sequence[str]
    ) -> list[float]:
        """Summed log-probability of each continuation right after the rendered prompt and the video."""
        if not continuations:
            raise ValueError("no continuation to score")
        option_ids = [self.tokenizer(text, add_special_tokens=False)["input_ids"] for text in continuations]
        empty = [text for text, ids in zip(continuations, option_ids) if not ids]
        if empty:
            raise ValueError(f"continuations {empty!r} tokenize to nothing; every option needs a text")
        prompt = self.processor(
            text=[self.render(messages)],
            videos=[frames],
            video_metadata=[video_metadata(frames, fps)],
            do_sample_frames=False,
            add_special_tokens=False,  # the chat template wrote them
            return_tensors="pt",
        )
        count, longest = len(continuations), max(len(ids) for ids in option_ids)
        prompt_ids = prompt["input_ids"]
        targets = torch.zeros((count, longest), dtype=prompt_ids.dtype)
        mask = torch.zeros((count, longest), dtype=torch.long)
        for k, ids in enumerate(option_ids):
            targets[k, : len(ids)] = torch.tensor(ids)
            mask[k, : len(ids)] = 1
        batch = {}
        for key, value in prompt.items():
            if not isinstance(value, torch.Tensor):
                continue
            # Batch-first tensors get one copy per option; Qwen's flattened video patches are concatenated
            # per video, so repeating along the first dimension is exactly K videos for them too.
            repeated = value.repeat(count, *[1] * (value.dim() - 1))
            if value.shape == prompt_ids.shape:  # token-aligned: input ids, attention mask, token types
                tail = targets if key == "input_ids" else mask if key == "attention_mask" else mask * 0
                repeated = torch.cat([repeated, tail.to(value.dtype)], dim=1)
            batch[key] = repeated
        device = self.model.device
        batch = {key: value.to(device) for key, value in batch.items()}
        # Only the positions that predict an option token: the last prompt token and the options.
        logits = self.model(**batch, logits_to_keep=longest + 1).logits[:, :longest].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        picked = logprobs.gather(-1, targets.to(device).unsqueeze(-1)).squeeze(-1)
        return (picked * mask.to(device)).sum(dim=-1).tolist()
