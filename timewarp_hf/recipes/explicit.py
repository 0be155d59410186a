"""The ``explicit`` recipe (the paper's "TimeWarp-Explicit"): from the scene captions in their true order
an LLM writes temporal QA pairs (chosen); the same LLM answers each question from the captions in a
shuffled scene order (rejected). Both sides refer to the original video, which is what DPO trains on.

Scene captions come from the base metadata or, when absent, from the captioner describing each scene's
frames. Unparsable QA output is retried a bounded number of times with a reminder of the format, and a
question whose answer the shuffle did not change is asked again over another shuffle (a bounded number
of times), so that a clip's pair is not lost while its time reversal's pair trains alone.
"""

from __future__ import annotations

import re

from ..generation import GenerationRequest
from ..parsing import parse_answer, parse_qa_pairs, qa_format
from ..prompts import render
from ..warps import apply_warp
from .base import Draft, PreparedVideo, RecipeContext, text_messages, video_messages

__all__ = ["explicit_drafts"]

_RESHUFFLES = 3
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

    # The rejected answer: the same question over the captions in a shuffled scene order. A shuffle can
    # leave a question's answer unchanged (with three scenes, moving only the last two keeps "what happens
    # first"); such a pair would be dropped as identical, and its clip's time reversal, asked the same
    # question, would then train alone: an order-free "prefer answer X" push that no twin cancels. So a
    # question whose shuffled answer equals the chosen one is asked again over another shuffle, up to
    # _RESHUFFLES times (only clips of three or more scenes have another order to try).
    plan = [
        (video, question, answer, len(all_captions[v]), v)
        for v, video in enumerate(videos)
        if parsed[v] is not None
        for question, answer in parsed[v]
    ]
    drafts: list[Draft | None] = [None] * len(plan)
    todo = list(range(len(plan)))
    for attempt in range(_RESHUFFLES + 1):
        if not todo:
            break
        if attempt:
            ctx.counters["explicit_reshuffles"] += len(todo)
        requests, shuffles = [], []
        for k in todo:
            video, question, _, count, v = plan[k]
            seed = ctx.seed_for(video, "scene_shuffle" + (f":{attempt}" if attempt else ""))
            shuffle = apply_warp(
                "scene_shuffle", list(range(count)), seed=seed, scenes=[(i, i + 1) for i in range(count)]
            )
            shuffled = [all_captions[v][i] for i in shuffle.scene_order]
            fields = {
                **qa_fields(shuffled, counts[v]),
                "shuffled_combined_captions": qa_fields(shuffled, counts[v])["captions"],
                "question": question,
            }
            prompt = render(config.template("explicit_answer"), **fields)
            extra = {"task": "explicit_answer", "captions": shuffled, "question": question}
            requests.append(GenerationRequest(text_messages(prompt), extra=extra))
            shuffles.append(({**shuffle.to_dict(), "indices": None}, seed))
        replies = llm.generate(requests)
        still = []
        for k, reply, (warp, seed) in zip(todo, replies, shuffles):
            video, question, answer, count, _ = plan[k]
            rejected = parse_answer(reply)
            drafts[k] = Draft(video, question, answer, rejected, warp, llm.describe(), seed)
            if count > 2 and rejected is not None and _same(rejected, answer):
                still.append(k)
        todo = still
    return [d for d in drafts if d is not None]


def _same(a: str, b: str) -> bool:
    return re.findall(r"[a-z0-9]+", a.lower()) == re.findall(r"[a-z0-9]+", b.lower())
