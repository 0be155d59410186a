"""Video-aware preference collator: turns TimeWarp pairs into the batch TRL's DPO loss expects.

TRL's ``DPOTrainer`` handles images only; given a ``video`` column it silently trains on the text alone. :class:`VideoPreferenceCollator` closes that gap: it decodes
each video of a batch once through :mod:`timewarp_hf.video`, renders the conversation with the processor's
own chat template (the one inference uses), and calls ``processor(text=..., videos=...)`` with the *true*
:class:`~transformers.video_utils.VideoMetadata` (fps, frame numbers, frame count). The metadata matters:
Qwen2.5-VL spaces its temporal RoPE positions by it, Qwen3-VL and SmolVLM write per-frame timestamps from
it, and without it they assume 24 fps, which collapses the temporal positions of sparsely sampled frames.

The batch layout is TRL's: ``2B`` rows, the ``B`` chosen sequences first, then the ``B`` rejected ones,
each ``[prompt (with the video) | completion]``, with a ``completion_mask``. Chosen and rejected share the
prompt, so the prompt side (video pixels included) is processed once and repeated, never decoded twice.

Accepted rows (one row = one preference pair):

* TimeWarp rows from the builder: conversational ``prompt`` / ``chosen`` / ``rejected`` whose user turn
  holds a ``{"type": "video"}`` part, a ``video`` column (a ``datasets.Video`` value, a path, or a
  ``{"path", "bytes"}`` dict), and ``frame_indices`` (decoded exactly, so training sees what generation saw).
* Plain TRL rows: string message content and a ``video`` or ``videos`` column of paths; the video parts are
  inserted at the start of the first user turn.
* The original TimeWarp repo's pre-extracted frames: ``video`` is a folder of images, read in *natural*
  order of the numbers in their names (``frame_2`` before ``frame_10``; the original had an unsorted bug).

Video-contrast pairs (``pair_type="video_contrast"`` in the builder) carry ``rejected_frame_indices``: the
warped frame order the rejected side must be conditioned on (usually with the same answer text as the
chosen side). The union of both views' frames is decoded once per video and indexed for each view; when a
batch holds such a row, the prompt side is processed for all ``2B`` rows (chosen videos, then rejected
videos) instead of once and repeated, so each rejected row's video tokens come from its own frames. Rows
without ``rejected_frame_indices`` (answer-contrast pairs) use the true clip on both sides, so both pair
types mix freely in one dataset and one batch.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from transformers import ProcessorMixin
from transformers.data.data_collator import DataCollatorMixin
from trl.data_utils import apply_chat_template, is_conversational
from trl.trainer.utils import flush_left, pad

from .clips import (
    Clip,
    ClipSource,
    FrameFolder,
    SourceKey,
    cap_frames,
    check_indices,
    clip_metadata,
    fit_pixels,
    load_clip,
    open_source,
    source_key,
)
from .video import VideoDecodeError, describe_source, sample_indices

__all__ = [
    "SKIPPED_VIDEOS_KEY",
    "VIDEO_COLUMNS",
    "Clip",
    "VideoPreferenceCollator",
    "load_clip",
]

logger = logging.getLogger(__name__)

VIDEO_COLUMNS = ("video", "videos")
# Batch key listing the ids of the rows skipped because their video could not be read. It is not a model
# input: TimeWarpDPOTrainer pops it and counts the skips (the key travels with the batch, so the count is
# right even when the collator runs in DataLoader worker processes).
SKIPPED_VIDEOS_KEY = "skipped_videos"

_SEQUENCE_TYPE_KEYS = ("token_type_ids", "mm_token_type_ids")


def _timeline(true_indices: list[int], length: int) -> list[int]:
    """Increasing frame numbers for a view of ``length`` frames shown over the true clip's span."""
    if length == len(true_indices):
        return list(true_indices)
    spread = np.linspace(true_indices[0], true_indices[-1], length).round().astype(int)
    return [int(i) for i in spread]


def _strip_none(part: Any) -> Any:
    # Arrow gives every struct in a column the union of all fields, filling the missing ones with None;
    # chat templates that test `'video' in part` would then render a text part as a video.
    return {k: v for k, v in part.items() if v is not None} if isinstance(part, Mapping) else part


def _prepare_messages(messages: list[dict], num_videos: int, row_name: str) -> list[dict]:
    """Structured content everywhere, and exactly ``num_videos`` video parts (inserted if absent)."""
    prepared = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        else:
            content = [_strip_none(part) for part in content]
        prepared.append({**_strip_none(message), "content": content})
    present = sum(part.get("type") == "video" for m in prepared for part in m["content"])
    if present == 0 and num_videos:
        for message in prepared:
            if message["role"] == "user":
                message["content"] = [{"type": "video"} for _ in range(num_videos)] + message["content"]
                break
        else:
            raise ValueError(f"{row_name}: the prompt has no user turn to attach the video to")
    elif present != num_videos:
        raise ValueError(
            f"{row_name}: the prompt has {present} video part(s) but the row has {num_videos} video(s)"
        )
    return prepared


def _repeat(value: Any) -> Any:
    """Duplicate a batch-major processor output for the rejected half of the batch."""
    if isinstance(value, torch.Tensor) and value.ndim > 0:
        return torch.cat([value, value])
    if isinstance(value, list):
        return value + value
    return value


@dataclass
class VideoPreferenceCollator(DataCollatorMixin):
    """Collate preference pairs over videos into TRL's ``[chosen; rejected]`` DPO batch.

    Args:
        processor: the Video-LLM's processor (``AutoProcessor``); its chat template and video processor
            are used as they are at inference.
        num_frames: frames sampled uniformly per video (first and last included) when the row gives no
            ``frame_indices`` or ``use_frame_indices`` is off.
        fps: sample one frame every ``1/fps`` seconds instead (takes precedence over ``num_frames``).
        max_frames: cap on frames per video, for either kind of sampling and for ``frame_indices``.
        max_pixels: per-frame pixel budget (height x width); larger frames are downscaled, aspect kept,
            right after decoding. For dynamic-resolution models (Qwen-VL) this bounds the video tokens;
            fixed-resolution processors resize anyway.
        use_frame_indices: decode a row's ``frame_indices`` (the frames its answers were generated from).
        folder_fps: nominal frame rate of pre-extracted frame folders (their true rate is unknown).
        max_length: truncate sequences to this many tokens. Only completion tokens are ever cut: a prompt
            whose video alone exceeds it raises, naming the knobs, since cutting video tokens breaks the model.
        on_decode_error: ``"skip"`` drops a row whose video cannot be read (logged with its ``video_id``,
            listed under :data:`SKIPPED_VIDEOS_KEY`, and replaced by a readable pair so that the batch keeps
            its size); ``"raise"`` raises :class:`~timewarp_hf.video.VideoDecodeError` naming it.
        shuffle_frames: the order-blind control: permute each clip's frames with a seeded random
            permutation, fresh on every call. The metadata (frame numbers, timestamps) stays in true order,
            so only the pixels' order is destroyed and no timestamp text can leak it back.
        seed: seed of the ``shuffle_frames`` permutations.
        processor_kwargs: extra keyword arguments for ``processor(...)`` (e.g. ``{"size": {...}}``).
    """

    processor: ProcessorMixin
    num_frames: int | None = 8
    fps: float | None = None
    max_frames: int | None = None
    max_pixels: int | None = None
    use_frame_indices: bool = True
    folder_fps: float = 1.0
    max_length: int | None = None
    on_decode_error: Literal["skip", "raise"] = "skip"
    shuffle_frames: bool = False
    seed: int = 0
    processor_kwargs: dict[str, Any] = field(default_factory=dict)
    return_tensors: str = "pt"

    def __post_init__(self):
        if self.on_decode_error not in ("skip", "raise"):
            raise ValueError(f"on_decode_error must be 'skip' or 'raise', got {self.on_decode_error!r}")
        self._rng = random.Random(self.seed)
        self._last_readable: tuple[dict, list[Clip]] | None = None
        self._last_views: dict[int, list[Clip] | None] = {}

    # ------------------------------------------------------------------------------------------ videos

    @staticmethod
    def _sources(example: Mapping[str, Any]) -> list[Any]:
        if example.get("videos") is not None:
            return list(example["videos"])
        return [example.get("video")]

    @staticmethod
    def _row_name(example: Mapping[str, Any], sources: list[Any]) -> str:
        if example.get("video_id"):
            return f"video_id={example['video_id']}"
        return describe_source(sources[0]) if sources else "<row without video>"

    def load_videos(self, examples: Sequence[Mapping[str, Any]]) -> tuple[list[list[Clip] | None], list[str]]:
        """Decode the clips of every row, each distinct video once.

        Returns one list of clips per row (``None`` for a skipped row) and the names of the skipped rows.
        Rows that share a video (several questions about one clip) share one open decoder and one decode
        of the union of their frames.
        """
        clips, _, skipped = self.load_views(examples)
        return clips, skipped

    def load_views(
        self, examples: Sequence[Mapping[str, Any]]
    ) -> tuple[list[list[Clip] | None], list[list[Clip] | None], list[str]]:
        """Like :meth:`load_videos`, plus each row's rejected view.

        The rejected view is ``None`` for a row without ``rejected_frame_indices`` (its rejected side sees
        the same clips as its chosen side), else the one clip of the warped frame order. Its frames join the
        union decoded for the video, so both views cost one decode.
        """
        sources = [self._sources(ex) for ex in examples]
        names = [self._row_name(ex, srcs) for ex, srcs in zip(examples, sources)]
        opened: dict[SourceKey, ClipSource | VideoDecodeError] = {}
        for src in (src for srcs in sources for src in srcs):
            key = source_key(src)
            if key not in opened:
                try:
                    opened[key] = open_source(src, self.folder_fps)
                except VideoDecodeError as error:
                    opened[key] = error
        requests: list[list[tuple[SourceKey, list[int]]] | VideoDecodeError] = []
        rejected_requests: list[list[tuple[SourceKey, list[int]]] | VideoDecodeError | None] = []
        for example, srcs, name in zip(examples, sources, names):
            try:
                requests.append(
                    [(key, self._indices(example, srcs, opened[key], name)) for key in map(source_key, srcs)]
                )
                rejected_requests.append(self._rejected_request(example, srcs, opened, name))
            except VideoDecodeError as error:
                requests.append(error)
                rejected_requests.append(None)
        decoded = self._decode_once(opened, [*requests, *(r for r in rejected_requests if r is not None)])
        clips: list[list[Clip] | None] = []
        rejected: list[list[Clip] | None] = []
        skipped: list[str] = []
        for request, rejected_request, name in zip(requests, rejected_requests, names):
            try:
                row_clips = self._assemble(request, opened, decoded)
                row_rejected = None
                if rejected_request is not None:
                    true_indices = request[0][1]
                    row_rejected = self._assemble(rejected_request, opened, decoded, true_indices)
            except VideoDecodeError as error:
                self._fail(name, error)
                clips.append(None)
                rejected.append(None)
                skipped.append(name)
            else:
                clips.append(row_clips)
                rejected.append(row_rejected)
        return clips, rejected, skipped

    def _rejected_request(
        self, example: Mapping[str, Any], sources: list[Any], opened: dict, name: str
    ) -> list[tuple[SourceKey, list[int]]] | None:
        """The warped frame order of a video-contrast row (``rejected_frame_indices``), checked."""
        warped = example.get("rejected_frame_indices")
        if not warped:
            return None
        if len(sources) != 1:
            raise ValueError(f"{name}: rejected_frame_indices is given for a row with {len(sources)} videos")
        key = source_key(sources[0])
        video = opened[key]
        if isinstance(video, VideoDecodeError):
            raise video
        indices = [int(i) for i in warped]
        if min(indices) < 0 or max(indices) >= video.info.num_frames:
            raise VideoDecodeError(
                name,
                "too_short",
                f"rejected_frame_indices reach frame {max(indices)} but the video has "
                f"{video.info.num_frames} frames (is this the video the pair was generated from?)",
            )
        return [(key, cap_frames(indices, self.max_frames))]

    def _indices(
        self, example: Mapping[str, Any], sources: list[Any], video: ClipSource | VideoDecodeError, name: str
    ) -> list[int]:
        if isinstance(video, VideoDecodeError):
            raise video
        # A row without frames of its own (None, or [] from a recipe that generated from captions only)
        # gets the configured sampling.
        explicit = example.get("frame_indices") if self.use_frame_indices else None
        if explicit:
            if len(sources) != 1:
                raise ValueError(f"{name}: frame_indices is given for a row with {len(sources)} videos")
            return cap_frames(check_indices(explicit, video.info, name), self.max_frames)
        indices = sample_indices(
            video.info, num_frames=self.num_frames, fps=self.fps, max_frames=self.max_frames
        )
        if not indices:
            raise VideoDecodeError(name, "too_short", "no frame to sample")
        return indices

    def _decode_once(
        self, opened: dict[SourceKey, ClipSource | VideoDecodeError], requests: list
    ) -> dict[SourceKey, tuple[dict[int, int], torch.Tensor] | VideoDecodeError]:
        """Decode, per video, the union of the frames its rows asked for: ``{frame: position}, frames``."""
        wanted: dict[SourceKey, set[int]] = {}
        for request in requests:
            if not isinstance(request, VideoDecodeError):
                for key, indices in request:
                    wanted.setdefault(key, set()).update(indices)
        decoded: dict[SourceKey, tuple[dict[int, int], torch.Tensor] | VideoDecodeError] = {}
        for key, frames_wanted in wanted.items():
            union = sorted(frames_wanted)
            try:
                frames = fit_pixels(opened[key].read(union), self.max_pixels)
            except VideoDecodeError as error:
                decoded[key] = error
            else:
                decoded[key] = ({index: position for position, index in enumerate(union)}, frames)
        return decoded

    def _assemble(
        self, request, opened: dict, decoded: dict, true_indices: list[int] | None = None
    ) -> list[Clip]:
        """One row's clips from the decoded unions; raises the row's decode error, if any.

        For a warped view (``true_indices`` given) the pixels follow the warped order while the metadata
        keeps a true, increasing timeline (the clip's own frame numbers, or an even spread over their
        span when the view is longer or shorter), as ``shuffle_frames`` does: the model is shown the
        warped frames at the clip's presentation rate, and no timestamp text can give the warp away.
        """
        if isinstance(request, VideoDecodeError):
            raise request
        clips = []
        for key, indices in request:
            if isinstance(decoded[key], VideoDecodeError):
                raise decoded[key]
            positions, frames = decoded[key]
            data = frames[[positions[i] for i in indices]]
            if self.shuffle_frames:
                data = data[self._rng.sample(range(len(indices)), len(indices))]
            video = opened[key]
            backend = "frames" if isinstance(video, FrameFolder) else "torchcodec"
            timeline = indices if true_indices is None else _timeline(true_indices, len(indices))
            clips.append(Clip(data, clip_metadata(video.info, timeline, data, backend)))
        return clips

    def _fail(self, name: str, error: VideoDecodeError) -> None:
        if self.on_decode_error == "raise":
            raise VideoDecodeError(
                f"{name} ({error.source})",
                error.kind,
                f"{error.reason}; set on_decode_error='skip' to skip such rows",
            ) from error
        logger.warning("skipping the pair of %s: its video could not be read (%s)", name, error)

    # ------------------------------------------------------------------------------------------- batch

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        clips, rejected_views, skipped = self.load_views(examples)
        views = {id(ex): view for ex, view in zip(examples, rejected_views)}
        kept = [(ex, c) for ex, c in zip(examples, clips) if c is not None]
        if skipped:
            kept = self._refill(kept, skipped)
            views.update(self._last_views)
        self._last_readable = kept[-1]
        self._last_views = {id(kept[-1][0]): views.get(id(kept[-1][0]))}
        prompts, chosens, rejecteds = [], [], []
        for example, row_clips in kept:
            if not is_conversational(example):
                raise ValueError(
                    "VideoPreferenceCollator needs conversational rows (prompt/chosen/rejected as lists of "
                    f"{{'role', 'content'}} messages); got {type(example['prompt']).__name__} prompts"
                )
            name = self._row_name(example, self._sources(example))
            conversation = {
                "prompt": _prepare_messages(example["prompt"], len(row_clips), name),
                "chosen": _prepare_messages(example["chosen"], 0, name),
                "rejected": _prepare_messages(example["rejected"], 0, name),
            }
            if example.get("chat_template_kwargs"):
                conversation["chat_template_kwargs"] = example["chat_template_kwargs"]
            tools = example.get("tools")
            tools = json.loads(tools) if isinstance(tools, str) else tools
            rendered = apply_chat_template(conversation, self.processor, tools=tools)
            prompts.append(rendered["prompt"])
            chosens.append(rendered["chosen"])
            rejecteds.append(rendered["rejected"])

        chosen_clips = [clip for _, row_clips in kept for clip in row_clips]
        rejected = [views.get(id(ex)) or row_clips for ex, row_clips in kept]
        contrast = any(views.get(id(ex)) is not None for ex, _ in kept)
        if contrast:
            # Some rejected rows see other frames than their chosen rows: process all 2B prompts, the
            # chosen videos then the rejected ones, in TRL's [chosen; rejected] order.
            prompts = prompts + prompts
            chosen_clips = chosen_clips + [clip for row_clips in rejected for clip in row_clips]
        try:
            processed = self.processor(
                text=prompts,
                videos=[clip.frames for clip in chosen_clips],
                video_metadata=[clip.metadata for clip in chosen_clips],
                do_sample_frames=False,
                padding=True,
                padding_side="left",
                add_special_tokens=False,  # the chat template already wrote them
                return_tensors=self.return_tensors,
                **self.processor_kwargs,
            )
        except ValueError as exc:
            lengths = sorted({len(clip.frames) for clip in chosen_clips})
            if not contrast or len(lengths) < 2:
                raise
            raise ValueError(
                f"{type(self.processor).__name__} stacks the videos of a batch into one tensor, so they need "
                f"one frame count, but this batch's true and warped views have {lengths} frames. With this "
                "model, build video-contrast pairs from warps that keep the frame count (reverse, "
                f"scene_shuffle, segment_swap, local_shuffle, freeze), not frame_drop or speed ({exc})"
            ) from exc
        processed.pop("video_metadata", None)
        # Without video-contrast rows chosen and rejected share the prompt: process it once, repeat it.
        output = dict(processed) if contrast else {key: _repeat(value) for key, value in processed.items()}
        output.update(self._join_completions(output, chosens, rejecteds))
        output[SKIPPED_VIDEOS_KEY] = skipped
        return output

    def _join_completions(self, prompt: dict[str, Any], chosens: list[str], rejecteds: list[str]) -> dict:
        tokenizer = self.processor.tokenizer
        encode = dict(padding=True, padding_side="right", add_special_tokens=False, return_tensors="pt")
        chosen, rejected = tokenizer(chosens, **encode), tokenizer(rejecteds, **encode)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        completion_ids = torch.cat(
            tuple(pad([chosen["input_ids"], rejected["input_ids"]], padding_value=pad_id))
        )
        completion_mask = torch.cat(
            tuple(pad([chosen["attention_mask"], rejected["attention_mask"]], padding_value=0))
        )
        prompt_mask = prompt["attention_mask"]
        if self.max_length is not None and int(prompt_mask.sum(1).max()) >= self.max_length:
            raise ValueError(
                f"a prompt with its video takes {int(prompt_mask.sum(1).max())} tokens, which leaves no room "
                f"for the answer within max_length={self.max_length}, and video tokens cannot be truncated. "
                f"Lower num_frames (now {self.num_frames}) or max_pixels (now {self.max_pixels}), or raise "
                "max_length (or set it to None, the default for video)."
            )
        sequences = {
            "attention_mask": torch.cat((prompt_mask, completion_mask), dim=1),
            "input_ids": torch.cat((prompt["input_ids"], completion_ids), dim=1),
            "completion_mask": torch.cat((torch.zeros_like(prompt_mask), completion_mask), dim=1),
        }
        for key in _SEQUENCE_TYPE_KEYS:  # Gemma's token types, Qwen-VL's modality types (2 = video)
            if key in prompt:
                sequences[key] = torch.cat((prompt[key], torch.zeros_like(completion_ids)), dim=1)
        flushed = flush_left(*sequences.values())
        sequences = dict(zip(sequences, flushed))
        if self.max_length is not None:
            sequences = {key: value[:, : self.max_length] for key, value in sequences.items()}
        return sequences

    def _refill(
        self, kept: list[tuple[dict, list[Clip]]], skipped: list[str]
    ) -> list[tuple[dict, list[Clip]]]:
        """Stand readable pairs in for the skipped ones, so that the batch keeps its size.

        Distributed training needs every rank to feed the same number of rows into the same collective
        operations (TRL gathers its metrics across ranks), so a skipped pair cannot simply vanish: a
        readable pair of the same batch, or else the last readable pair seen, takes its place. It then
        counts twice in this one step, a negligible bias next to dropping rows unevenly across ranks.
        """
        donors = kept or ([self._last_readable] if self._last_readable is not None else [])
        if not donors:
            raise RuntimeError(
                f"every pair of the first batch has an unreadable video ({', '.join(skipped)}) and no "
                "readable pair has been seen yet to stand in for them; check these videos or remove the rows"
            )
        return kept + list(itertools.islice(itertools.cycle(donors), len(skipped)))
