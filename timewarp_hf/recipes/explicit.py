"""The ``explicit`` recipe (the paper's "TimeWarp-Explicit"): from the scene captions in their true order
an LLM writes temporal QA pairs (chosen); the same LLM answers each question from the captions in a
shuffled scene order (rejected). Both sides refer to the original video, which is what DPO trains on.

Scene captions come from the base metadata or, when absent, from the captioner describing each scene's
frames. Unparsable QA output is retried a bounded number of times with a reminder of the format.
"""

from __future__ import annotations

from ..generation import GenerationRequest
from ..parsing import parse_answer, parse_qa_pairs, qa_format
from ..prompts import render
from ..warps import apply_warp
from .base import Draft, PreparedVideo, RecipeContext, text_messages, video_messages

__all__ = ["explicit_drafts"]

_REMINDER = "Your reply could not be read. Reply again, in exactly this format and nothing else:\n{format}"


def _captions(videos: list[PreparedVideo], ctx: RecipeContext) -> list[list[str]]:
    """Captions per scene per video: from metadata where every scene has one, else generated."""
    requests, slots = [], []
    captions = []
    for v, video in enumerate(videos):
        known = [s.caption for s in video.scenes]
        captions.append(known)
        if all(known):
            continue
        prompt = ctx.config.template("scene_caption")
        for s, frames in enumerate(video.scene_frames):
            fps = video.frames.info.fps
            requests.append(GenerationRequest(video_messages(prompt), frames=frames, fps=fps))
            slots.append((v, s))
    if requests:
        if ctx.captioner is None:
            raise ValueError(
                "scenes have no captions in the metadata; set captioner=<Video-LLM> to caption them"
            )
        for (v, s), text in zip(slots, ctx.captioner.generate(requests)):
            captions[v][s] = text.strip()
    return captions


def explicit_drafts(videos: list[PreparedVideo], ctx: RecipeContext) -> list[Draft]:
    config, llm = ctx.config, ctx.generator
    all_captions = _captions(videos, ctx)
    # A rule-based generator says how many questions a clip's captions allow (two scenes allow fewer
    # than three); asking it for more would only produce a reply too short to parse.
    limit = getattr(llm, "max_questions", None)
    counts = [
        min(config.num_questions, limit(c)) if callable(limit) and len(set(c)) > 1 else config.num_questions
        for c in all_captions
    ]

    def qa_fields(captions: list[str], n: int) -> dict[str, str]:
        joined = " ".join(c for c in captions if c)
        return {
            "captions": joined,
            "combined_captions": joined,
            "num_questions": str(n),
            "format": qa_format(n),
        }

    conversations = [
        text_messages(render(config.template("explicit_qa"), **qa_fields(c, n)))
        for c, n in zip(all_captions, counts)
    ]
    parsed: list[list[tuple[str, str]] | None] = [None] * len(videos)
    pending = list(range(len(videos)))
    for attempt in range(config.parse_retries + 1):
        if not pending:
            break
        if attempt:
            ctx.counters["qa_parse_retries"] += len(pending)
        replies = llm.generate(
            [
                GenerationRequest(
                    conversations[v],
                    extra={"task": "explicit_qa", "captions": all_captions[v], "num_questions": counts[v]},
                )
                for v in pending
            ]
        )
        still = []
        for v, reply in zip(pending, replies):
            parsed[v] = parse_qa_pairs(reply, counts[v])
            if parsed[v] is None:
                still.append(v)
                conversations[v] = conversations[v] + [
                    {"role": "assistant", "content": reply},
                    {"role": "user", "content": _REMINDER.format(format=qa_format(counts[v]))},
                ]
        pending = still
    ctx.counters["filtered/unparsable"] += len(pending)

    answer_requests, plan = [], []
    for v, video in enumerate(videos):
        if parsed[v] is None:
            continue
        seed = ctx.seed_for(video, "scene_shuffle")
        count = len(all_captions[v])
        shuffle = apply_warp(
            "scene_shuffle", list(range(count)), seed=seed, scenes=[(k, k + 1) for k in range(count)]
        )
        shuffled = [all_captions[v][k] for k in shuffle.scene_order]
        warp = {**shuffle.to_dict(), "indices": None}
        for question, answer in parsed[v]:
            fields = {
                **qa_fields(shuffled, counts[v]),
                "shuffled_combined_captions": qa_fields(shuffled, counts[v])["captions"],
                "question": question,
            }
            prompt = render(config.template("explicit_answer"), **fields)
            extra = {"task": "explicit_answer", "captions": shuffled, "question": question}
            answer_requests.append(GenerationRequest(text_messages(prompt), extra=extra))
            plan.append((video, question, answer, warp, seed))
    replies = llm.generate(answer_requests) if answer_requests else []
    return [
        Draft(video, question, answer, parse_answer(reply), warp, llm.describe(), seed)
        for (video, question, answer, warp, seed), reply in zip(plan, replies)
    ]
