"""The ``implicit`` recipe (STIC-style, "TimeWarp-Implicit"): the model's detailed temporal description of
the clean frames is chosen; rejected is the model describing corrupted frames (extreme downscale, colour
jitter) or answering a hallucination-inducing prompt on the clean frames. One kind is drawn per video."""

from __future__ import annotations

from ..corrupt import apply_corruption
from ..generation import GenerationRequest
from ..prompts import HALLUCINATION_PROMPTS, IMPLICIT_PROMPTS
from .base import Draft, PreparedVideo, RecipeContext, video_messages

__all__ = ["implicit_drafts"]


def implicit_drafts(videos: list[PreparedVideo], ctx: RecipeContext) -> list[Draft]:
    config, backend = ctx.config, ctx.captioner
    detailed = config.template("implicit_detailed")
    requests: list[GenerationRequest] = []
    plan = []
    for video in videos:
        rng = ctx.rng_for(video, "implicit")
        kind = rng.choice(config.implicit_rejections)
        question = rng.choice(IMPLICIT_PROMPTS)  # the stored prompt, as in the original data
        seed = ctx.seed_for(video, "corruption")
        fps = video.presentation_fps
        requests.append(GenerationRequest(video_messages(detailed), frames=video.frames.data, fps=fps))
        if kind == "hallucination":
            lure = rng.choice(HALLUCINATION_PROMPTS)
            warp = {"name": "hallucination", "params": {"prompt": lure}, "seed": seed}
            rejected = GenerationRequest(video_messages(lure), frames=video.frames.data, fps=fps)
        else:
            corrupted = apply_corruption(kind, video.frames.data, seed=seed)
            warp = corrupted.record()
            rejected = GenerationRequest(video_messages(question), frames=corrupted.frames, fps=fps)
        requests.append(rejected)
        plan.append((video, question, warp, seed))
    texts = backend.generate(requests) if requests else []
    return [
        Draft(video, question, texts[2 * k], texts[2 * k + 1], warp, backend.describe(), seed)
        for k, (video, question, warp, seed) in enumerate(plan)
    ]
