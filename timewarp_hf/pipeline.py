"""The build pipeline: base examples -> decoded videos -> recipe drafts -> quality filter -> records.

Kept apart from the ``datasets`` builder so it can be used (and tested) alone, e.g. from a script that
writes records elsewhere. Videos are processed in chunks of ``videos_per_chunk`` so generation is batched
across videos while only one chunk of frames is held in memory; records stream out as they are made.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import datasets
import torch

from .config import TimeWarpConfig
from .generation import CachedBackend, GenerationBackend, GenerationRequest, ResponseCache, load_backend
from .prompts import PROMPT_VERSION, render
from .quality import QualityFilter
from .recipes import RECIPE_FUNCTIONS, Draft, PreparedVideo, RecipeContext
from .scenes import DetectorSettings, scan_video
from .sources import BaseExample
from .video import (
    Frames,
    VideoDecodeError,
    VideoInfo,
    decode_frames,
    describe_source,
    open_video,
    sample_indices,
    scene_frame_ranges,
    scenes_from_metadata,
    trim_scenes,
)
from .warps import warp_difficulty

__all__ = ["FEATURES", "PairPipeline", "summarize_counters"]

logger = logging.getLogger(__name__)

_TEXT_PART = {"type": datasets.Value("string"), "text": datasets.Value("string")}
_MESSAGES = datasets.List({"role": datasets.Value("string"), "content": datasets.List(_TEXT_PART)})

FEATURES = datasets.Features(
    {
        "prompt": _MESSAGES,
        "chosen": _MESSAGES,
        "rejected": _MESSAGES,
        "video": datasets.Video(),
        "video_id": datasets.Value("string"),
        "recipe": datasets.Value("string"),
        "warp": datasets.Value("string"),
        "frame_indices": datasets.List(datasets.Value("int32")),
        "fps": datasets.Value("float32"),
        "source": datasets.Value("string"),
        "generator": datasets.Value("string"),
        "seed": datasets.Value("int64"),
        # answer_contrast | video_contrast; the warped frame order a video-contrast pair's rejected side
        # is trained with ([] otherwise); 1 - the warp's magnitude (timewarp_hf.warps.warp_difficulty)
        "pair_type": datasets.Value("string"),
        "rejected_frame_indices": datasets.List(datasets.Value("int32")),
        "difficulty": datasets.Value("float32"),
    }
)

_SCENE_KEYS = ("scenes", "content_metadata", "json")
_FRAMES_PER_SCENE_CAPTION = 4


def _metadata_scenes(metadata: dict[str, Any]):
    for key in _SCENE_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        if value:
            return scenes_from_metadata(value)
    return []


class PairPipeline:
    """Turns base examples into preference records for one :class:`TimeWarpConfig`.

    Backends load lazily on first use (and are not pickled, so ``num_proc`` workers load their own).
    ``counters`` accumulates videos seen, skips by reason, pairs by recipe/warp, drops by reason and
    cache hits; :func:`summarize_counters` turns it into the build summary.
    """

    def __init__(
        self,
        config: TimeWarpConfig,
        source_name: str = "",
        *,
        captioner: GenerationBackend | None = None,
        generator: GenerationBackend | None = None,
    ):
        self.config, self.source_name = config, source_name
        self.filter = QualityFilter(config.max_similarity)
        self.counters: Counter = Counter()
        self._captioner, self._generator, self._judge = captioner, generator, None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_captioner"] = state["_generator"] = state["_judge"] = None
        return state

    # ------------------------------------------------------------------ backends
    def _backend(self, spec: str) -> GenerationBackend:
        config = self.config
        if spec == "template":
            return load_backend(spec)  # free and deterministic: nothing to cache
        if spec.startswith("openai:"):
            options = {
                "base_url": config.api_base,
                "api_key_env": config.api_key_env,
                "max_concurrency": config.max_concurrency,
                "max_tokens": config.max_new_tokens,
            }
        else:
            options = {"batch_size": config.generation_batch_size, "max_new_tokens": config.max_new_tokens}
        return CachedBackend(load_backend(spec, **options), ResponseCache(config.response_cache))

    @property
    def captioner(self) -> GenerationBackend | None:
        if self._captioner is None and self.config.captioner:
            self._captioner = self._backend(self.config.captioner)
        return self._captioner

    @property
    def generator(self) -> GenerationBackend | None:
        if self._generator is None:
            spec = self.config.generator or self.config.captioner
            self._generator = self._backend(spec) if spec != self.config.captioner else self.captioner
        return self._generator

    # ------------------------------------------------------------------ decoding
    def _needs_scenes(self) -> bool:
        return self.config.recipe == "explicit" or (
            self.config.recipe == "warped"
            and any(w.split(":")[0] == "scene_shuffle" for w in self.config.warps)
        )

    def prepare(self, example: BaseExample) -> PreparedVideo:
        """Decode what the recipe needs, once: the sampled frames (and per-scene frames for captioning)."""
        config = self.config
        decoder = open_video(example.video)
        name = describe_source(example.video)
        info = VideoInfo.from_decoder(decoder, name)
        scenes = []
        scanned: Frames | None = None
        if self._needs_scenes():
            if config.scene_source in ("auto", "metadata"):
                scenes = _metadata_scenes(example.metadata)
            if not scenes and config.scene_source in ("auto", "detect"):
                # one pass over every frame finds the cuts and keeps the frames sampling over the whole
                # video takes, so they are not decoded a second time (with a long GOP each seek would
                # decode most of the video again)
                whole = sample_indices(
                    info, num_frames=config.num_frames, fps=config.fps, max_frames=config.max_frames
                )
                scan = scan_video(
                    example.video,
                    keep=whole,
                    settings=DetectorSettings(detector=config.scene_detector),
                    info=info,
                )
                scenes, scanned = scan.scenes, scan.frames
            if config.recipe == "explicit":
                try:
                    scenes = trim_scenes(scenes, max_end=config.max_scene_end, min_scenes=config.min_scenes)
                except ValueError as exc:
                    raise VideoDecodeError(name, "no_scenes", str(exc)) from None
        end = scenes[-1].end if config.recipe == "explicit" and scenes else None
        indices = sample_indices(
            info, num_frames=config.num_frames, fps=config.fps, max_frames=config.max_frames, end=end
        )
        if len(indices) < 2:
            raise VideoDecodeError(name, "too_short", f"{len(indices)} frame(s) available, need at least 2")
        scene_indices = []
        if config.recipe == "explicit" and not all(s.caption for s in scenes):
            scene_indices = [
                sample_indices(info, num_frames=_FRAMES_PER_SCENE_CAPTION, start=s.start, end=s.end)
                or [min(int(s.start * info.fps), info.num_frames - 1)]
                for s in scenes
            ]
        union = sorted(set(indices).union(*scene_indices))
        decoded = _decode_missing(example.video, union, decoder, scanned)
        frames = decoded if union == indices else _subset(decoded, indices)
        return PreparedVideo(
            example=example,
            frames=frames,
            scenes=scenes,
            ranges=scene_frame_ranges(scenes, info) if scenes else [],
            scene_frames=[decoded.take(ix) for ix in scene_indices],
        )

    # ------------------------------------------------------------------ main loop
    def run(self, examples: Iterable[BaseExample]) -> Iterator[dict[str, Any]]:
        """Yield records for ``examples``; bad videos are skipped and counted, never fatal."""
        chunk: list[PreparedVideo] = []
        for example in examples:
            self.counters["videos_seen"] += 1
            try:
                chunk.append(self.prepare(example))
            except VideoDecodeError as exc:
                self.counters[f"skipped/{exc.kind}"] += 1
                logger.warning("skipping video %s: %s", example.video_id, exc)
                continue
            if len(chunk) >= self.config.videos_per_chunk:
                yield from self._finish(chunk)
                chunk = []
        if chunk:
            yield from self._finish(chunk)
        for backend in {id(b): b for b in (self._captioner, self._generator) if b is not None}.values():
            if isinstance(backend, CachedBackend):
                self.counters["cache_hits"] += backend.hits
                self.counters["cache_misses"] += backend.misses
                backend.hits = backend.misses = 0

    def _finish(self, chunk: list[PreparedVideo]) -> Iterator[dict[str, Any]]:
        ctx = RecipeContext(self.config, self.captioner, self.generator, self.counters)
        drafts = RECIPE_FUNCTIONS[self.config.recipe](chunk, ctx)
        verdicts = self._judge_drafts(drafts)
        for draft, verdict in zip(drafts, verdicts):
            reason = self._drop_reason(draft) or (None if verdict else "judge_rejected")
            if reason:
                self.counters[f"filtered/{reason}"] += 1
                continue
            name = draft.warp.get("name")
            if draft.pair_type != "answer_contrast":
                name = f"{name} ({draft.pair_type})"
            self.counters[f"pairs/{self.config.recipe}/{name}"] += 1
            yield self._record(draft)

    def _drop_reason(self, draft: Draft) -> str | None:
        if draft.pair_type == "video_contrast":
            # one answer on both sides by design: only its presence is checked, not its difference
            if draft.chosen is None:
                return "unparsable"
            return None if draft.chosen.strip() else "empty"
        return self.filter.reason(draft.chosen, draft.rejected)

    def _judge_drafts(self, drafts: list[Draft]) -> list[bool]:
        verdicts = [True] * len(drafts)
        # the judge compares two answers' timing; a video-contrast pair has one answer
        judged = [k for k, d in enumerate(drafts) if d.pair_type == "answer_contrast"]
        if not self.config.judge or not judged:
            return verdicts
        for k, verdict in zip(judged, self._ask_judge([drafts[k] for k in judged])):
            verdicts[k] = verdict
        return verdicts

    def _ask_judge(self, drafts: list[Draft]) -> list[bool]:
        if self._judge is None:
            self._judge = self._backend(self.config.judge)
        template = self.config.template("judge")
        requests = [
            GenerationRequest(
                [
                    {
                        "role": "user",
                        "content": render(
                            template, question=d.question, chosen=d.chosen or "", rejected=d.rejected or ""
                        ),
                    }
                ]
            )
            for d in drafts
        ]
        return [reply.strip().upper().startswith("YES") for reply in self._judge.generate(requests)]

    def _record(self, draft: Draft) -> dict[str, Any]:
        video = draft.video
        return {
            "prompt": [
                {
                    "role": "user",
                    "content": [{"type": "video", "text": None}, {"type": "text", "text": draft.question}],
                }
            ],
            "chosen": [{"role": "assistant", "content": [{"type": "text", "text": draft.chosen}]}],
            "rejected": [{"role": "assistant", "content": [{"type": "text", "text": draft.rejected}]}],
            "video": video.example.video,
            "video_id": video.example.video_id,
            "recipe": self.config.recipe,
            "warp": json.dumps(draft.warp, sort_keys=True),
            "frame_indices": video.frames.indices,
            "fps": video.frames.info.fps,
            "source": self.source_name,
            "generator": f"{draft.generator} (prompts {PROMPT_VERSION})",
            "seed": draft.seed,
            "pair_type": draft.pair_type,
            "rejected_frame_indices": draft.rejected_indices or [],
            "difficulty": _difficulty(draft.warp, video.frames.indices),
        }


def _decode_missing(source, indices: list[int], decoder, scanned: Frames | None) -> Frames:
    """The frames ``indices``: those the scene pass kept are reused, only the others are decoded."""
    have = set(scanned.indices) if scanned is not None else set()
    missing = [i for i in indices if i not in have]
    if not missing:
        return _subset(scanned, indices)
    decoded = decode_frames(source, missing, decoder=decoder)
    if not have:
        return decoded
    pool = Frames(
        data=torch.cat([scanned.data, decoded.data]),
        indices=scanned.indices + decoded.indices,
        timestamps=scanned.timestamps + decoded.timestamps,
        info=decoded.info,
    )
    return _subset(pool, indices)


def _difficulty(warp: dict[str, Any], frame_indices: list[int]) -> float | None:
    """The pair's difficulty from its warp: frame orders for frame warps, scene orders for the explicit
    recipe's caption shuffle; ``None`` for rejections that reorder nothing (corruptions, lures)."""
    if warp.get("indices"):
        return warp_difficulty(frame_indices, warp["indices"])
    if warp.get("scene_order"):
        return warp_difficulty(sorted(warp["scene_order"]), warp["scene_order"])
    return None


def _subset(frames, indices):
    return Frames(
        data=frames.take(indices),
        indices=list(indices),
        timestamps=[frames.timestamps[frames.indices.index(i)] for i in indices],
        info=frames.info,
    )


def summarize_counters(counters: Counter) -> dict[str, Any]:
    """The build summary: videos seen, skipped by reason, pairs by recipe and warp, drops, cache use, and
    the explicit recipe's retries (questions re-asked after an unparsable reply, rejected answers re-drawn
    over another shuffle because the first left the answer unchanged)."""
    summary: dict[str, Any] = {
        "videos_seen": counters.get("videos_seen", 0),
        "skipped": {},
        "pairs": {},
        "filtered": {},
        "warp_skipped": {},
        "cache_hits": counters.get("cache_hits", 0),
        "cache_misses": counters.get("cache_misses", 0),
        "qa_parse_retries": counters.get("qa_parse_retries", 0),
        "explicit_reshuffles": counters.get("explicit_reshuffles", 0),
    }
    for key, value in sorted(counters.items()):
        head, _, rest = key.partition("/")
        if head in ("skipped", "pairs", "filtered", "warp_skipped"):
            summary[head][rest] = value
    summary["num_pairs"] = sum(summary["pairs"].values())
    return summary
