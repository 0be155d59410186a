"""The ``warped`` recipe: a Video-LLM answers the same question on the true frames (chosen) and on each
time-warped copy of them (rejected). All warps index the one decode of the video.

Two pair types come out of one warp (``TimeWarpConfig.pair_type``):

* ``answer_contrast``: the answer on the true frames over the answer on the warped frames; both sides are
  trained with the true video (the paper's pairs).
* ``video_contrast``: the *same* answer (on the true frames), preferred given the true video over given
  the warped view (VistaDPO's video-level preference, mDPO's conditional preference): the model is
  rewarded for reading the frames, not for the text. The warped order is stored with the pair and the
  trainer feeds those frames to the rejected side. No answer on the warped frames is needed.

A warped view that barely changes what the frames show (a static clip reversed, a freeze on a still scene)
is a fake reject for either type: its "rejected" side is not worse. Such views are skipped and counted as
``warp_skipped/no_change`` (threshold ``min_warp_change``, see :func:`~.base.frame_change`).
"""

from __future__ import annotations

import logging

from ..generation import GenerationRequest
from ..prompts import WARPED_QUESTIONS
from ..warps import WarpError, apply_warp
from .base import Draft, PreparedVideo, RecipeContext, frame_change, video_messages

__all__ = ["warped_drafts"]

logger = logging.getLogger(__name__)


def warped_drafts(videos: list[PreparedVideo], ctx: RecipeContext) -> list[Draft]:
    config, backend = ctx.config, ctx.captioner
    pool = config.questions or WARPED_QUESTIONS
    answers = config.pair_type in ("answer_contrast", "both")
    contrasts = config.pair_type in ("video_contrast", "both")
    requests: list[GenerationRequest] = []
    # (video, question, chosen request, rejected request or None, warp record, seed)
    plan: list[tuple[PreparedVideo, str, int, int | None, dict, int]] = []
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
            warped = video.frames.take(result.indices)
            change = frame_change(video.frames.data, warped)
            if change < config.min_warp_change:
                ctx.counters["warp_skipped/no_change"] += 1
                logger.debug(
                    "%s: %s skipped: the warped frames differ by %.4f < min_warp_change=%g",
                    video.example.video_id,
                    spec,
                    change,
                    config.min_warp_change,
                )
                continue
            record = {**result.to_dict(), "frame_change": round(change, 6)}
            rejected_at = None
            if answers:
                rejected_at = len(requests)
                requests.append(GenerationRequest(messages, frames=warped, fps=fps))
            plan.append((video, question, chosen_at, rejected_at, record, seed))
    texts = backend.generate(requests) if requests else []
    drafts = []
    for video, question, c, r, warp, seed in plan:
        if answers:
            drafts.append(Draft(video, question, texts[c], texts[r], warp, backend.describe(), seed))
        if contrasts:
            drafts.append(
                Draft(
                    video,
                    question,
                    texts[c],
                    texts[c],
                    warp,
                    backend.describe(),
                    seed,
                    pair_type="video_contrast",
                    rejected_indices=list(warp["indices"]),
                )
            )
    return drafts
