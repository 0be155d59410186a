"""A rule-based generation backend for the ``explicit`` recipe: temporal QA from ordered scene captions,
with no model at all.

Given scene captions in true order it writes questions whose answers need the order (what happens first
or last, right after or right before an event, which of two events is earlier) and answers them; asked
the same question over a shuffled caption order, it answers by the same rules from that order, which is
exactly the rejected side TimeWarp needs. Deterministic and free: useful to anyone with scene
annotations and no LLM budget, and the backbone of the miniature reproduction.

The explicit recipe attaches the captions to each request (``request.extra``); the backend refuses
requests without them, so it can never silently answer a free-form prompt.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence

from ..parsing import qa_format
from .base import GenerationBackend, GenerationRequest

__all__ = ["TemplateBackend", "answer_question", "template_questions"]


def _phrase(caption: str) -> str:
    return caption.strip().rstrip(".").strip()


def _sentence(caption: str) -> str:
    text = _phrase(caption)
    return (text[:1].upper() + text[1:] + ".") if text else ""


# Each rule: (name, regex reading the question back, question writer, answerer over an ordered list).
_RULES: list[tuple[str, re.Pattern, Callable, Callable]] = [
    (
        "first",
        re.compile(r"^What happens first in the video\?$"),
        lambda c, i, j: "What happens first in the video?",
        lambda order, m: _sentence(order[0]),
    ),
    (
        "last",
        re.compile(r"^What happens at the end of the video\?$"),
        lambda c, i, j: "What happens at the end of the video?",
        lambda order, m: _sentence(order[-1]),
    ),
    (
        "after",
        re.compile(r"^What happens right after (?P<x>.+)\?$"),
        lambda c, i, j: f"What happens right after {_phrase(c[i])}?",
        lambda order, m: _relative(order, m["x"], +1),
    ),
    (
        "before",
        re.compile(r"^What happens right before (?P<x>.+)\?$"),
        lambda c, i, j: f"What happens right before {_phrase(c[i + 1])}?",
        lambda order, m: _relative(order, m["x"], -1),
    ),
    (
        "earlier",
        re.compile(r"^Which happens earlier: (?P<x>.+) or (?P<y>.+)\?$"),
        lambda c, i, j: f"Which happens earlier: {_phrase(c[i])} or {_phrase(c[j])}?",
        lambda order, m: _earlier(order, m["x"], m["y"]),
    ),
]


def _position(order: Sequence[str], phrase: str) -> int:
    phrases = [_phrase(c).lower() for c in order]
    return phrases.index(phrase.strip().lower())


def _relative(order: Sequence[str], phrase: str, step: int) -> str:
    k = _position(order, phrase) + step
    if not 0 <= k < len(order):
        return "Nothing; that is the " + ("last" if step > 0 else "first") + " event of the video."
    return _sentence(order[k])


def _earlier(order: Sequence[str], x: str, y: str) -> str:
    first = x if _position(order, x) < _position(order, y) else y
    return _sentence(first)


def template_questions(captions: Sequence[str], num_questions: int, seed: str = "") -> list[tuple[str, str]]:
    """``num_questions`` (question, answer) pairs about the order of ``captions``, chosen deterministically.

    Needs at least 2 captions, all distinct (a repeated caption makes "right after X" ambiguous).
    """
    captions = [c for c in captions if _phrase(c)]
    phrases = [_phrase(c).lower() for c in captions]
    if len(captions) < 2 or len(set(phrases)) != len(phrases):
        raise ValueError(f"template QA needs at least 2 distinct scene captions, got {list(captions)}")
    rng = random.Random(hashlib.sha256(("|".join(phrases) + seed).encode()).hexdigest())
    n = len(captions)
    candidates = [("first", 0, 0), ("last", 0, 0)]
    candidates += [("after", i, 0) for i in range(n - 1)] + [("before", i, 0) for i in range(n - 1)]
    candidates += [
        ("earlier", i, j) if rng.random() < 0.5 else ("earlier", j, i)
        for i in range(n)
        for j in range(i + 1, n)
    ]
    rng.shuffle(candidates)
    rules = {name: (write, answer) for name, _, write, answer in _RULES}
    out, seen = [], set()
    for name, i, j in candidates:
        question = rules[name][0](captions, i, j)
        if question not in seen:
            seen.add(question)
            out.append((question, answer_question(question, captions)))
        if len(out) == num_questions:
            break
    return out


def answer_question(question: str, captions: Sequence[str]) -> str:
    """Answer one of :func:`template_questions`' questions from ``captions`` taken in the given order."""
    for _, pattern, _, answer in _RULES:
        match = pattern.match(question.strip())
        if match:
            try:
                return answer(list(captions), match)
            except ValueError:
                return "The video does not show that."
    raise ValueError(f"the template backend cannot answer {question!r}: it only answers its own questions")


class TemplateBackend(GenerationBackend):
    """Serves the explicit recipe's ``explicit_qa`` and ``explicit_answer`` tasks by rule."""

    name, model_id, supports_video = "template", "rules-v1", False

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        out = []
        for request in requests:
            task = request.extra.get("task")
            captions = request.extra.get("captions")
            if task == "explicit_qa" and captions is not None:
                pairs = template_questions(captions, int(request.extra.get("num_questions", 3)))
                out.append("\n".join(f"Q{k}: {q}\nA{k}: {a}" for k, (q, a) in enumerate(pairs, 1)))
            elif task == "explicit_answer" and captions is not None:
                out.append("Answer: " + answer_question(request.extra["question"], captions))
            else:
                raise ValueError(
                    "the template backend only answers the explicit recipe's QA tasks (requests carrying "
                    f"extra['task'] in explicit_qa/explicit_answer and the scene captions); got {task!r}. "
                    f"Expected QA format: {qa_format(1)!r}"
                )
        return out
