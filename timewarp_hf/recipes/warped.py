"""The ``warped`` recipe: a Video-LLM answers the same question on the true frames (chosen) and on each
time-warped copy of them (rejected). All warps index the one decode of the video."""

from __future__ import annotations

import logging

from ..generation import GenerationRequest
from ..prompts import WARPED_QUESTIONS
from ..warps import WarpError, apply_warp
from .base import Draft, PreparedVideo, RecipeContext, video_messages

__all__ = ["warped_drafts"]

logger = logging.getLogger(__name__)


def warped_drafts(videos: list[PreparedVideo], ctx: RecipeContext) -> list[Draft]:
    config, backend = ctx.config, ctx.captioner
    pool = config.questions or WARPED_QUESTIONS
    requests: list[GenerationRequest] = []
    plan: list[tuple[PreparedVideo, str, int, int, dict, int]] = []
    for video in videos:
        question = ctx.rng_for(video, "question").choice(pool)
        messages = video_messages(question)
        fps = video.presentation_fps
        seed = ctx.seed_for(video, "warp")
        chosen_at = len(requests)
        requests.append(GenerationRequest(messages, frames=video.frames.data, fps=fps))
        for spec in config.warps:
            try:
                result = apply_warp(spec, video.frames.indices, seed=seed, scenes=video.ranges or None)
            except WarpError as exc:
                ctx.counters[f"warp_skipped/{spec}"] += 1
                logger.debug("%s: %s skipped: %s", video.example.video_id, spec, exc)
                continue
            plan.append((video, question, chosen_at, len(requests), result.to_dict(), seed))
            requests.append(GenerationRequest(messages, frames=video.frames.take(result.indices), fps=fps))
    texts = backend.generate(requests) if requests else []
    return [
        Draft(video, question, texts[c], texts[r], warp, backend.describe(), seed)
        for video, question, c, r, warp, seed in plan
    ]
