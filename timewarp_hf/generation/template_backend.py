"""A rule-based generation backend for the ``explicit`` recipe: temporal QA from ordered scene captions,
with no model at all.

Given scene captions in true order it writes questions in the forms temporal benchmarks ask (what happens
first or last, right after or right before an event, does one event come before or after another, which
of two comes first or last, in which order a list of events happens) and answers them; asked the same
question over a shuffled caption order, it answers by the same rules from that order, which is exactly
the rejected side TimeWarp needs. Deterministic and free: useful to anyone with scene annotations and no
LLM budget, and the backbone of the miniature reproduction.

Three properties make a pair teach order rather than style:

* an answer names a scene the way a benchmark's option does: a bare lower-case phrase, and only the
  words that tell the clip's scenes apart (``red``, not ``The screen turns red.``; ``on the left``),
  ``before``/``after``, or a list (``red, then green, then blue``). Chosen and rejected answers then
  differ in the scene they name and nothing else, and the phrases a model learns to prefer are the ones
  a multiple-choice benchmark scores (a caption sentence puts its shared words, not the scene, first);
* the ends of the video are answered in one form (``nothing, the video ends there``) whichever side
  they fall on;
* the questions asked about a clip depend only on the *set* of its captions, never on their order, so a
  clip and its time reversal are asked the same questions and differ only in their answers.

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


def _listing(phrases: Sequence[str]) -> str:
    return "; ".join(phrases)


# Each rule: (name, regex reading the question back, question writer over phrases (x, y: phrases or a
# list), answerer over an ordered caption list). Writers never see the order, only the phrases named;
# answerers name a scene by its short form among the clip's scenes (see :func:`_names`).
_RULES: list[tuple[str, re.Pattern, Callable, Callable]] = [
    (
        "first",
        re.compile(r"^What happens first in the video\?$"),
        lambda x, y: "What happens first in the video?",
        lambda order, m: _name(order, order[0]),
    ),
    (
        "last",
        re.compile(r"^What happens last in the video\?$"),
        lambda x, y: "What happens last in the video?",
        lambda order, m: _name(order, order[-1]),
    ),
    (
        "right_after",
        re.compile(r"^What happens right after (?P<x>.+)\?$"),
        lambda x, y: f"What happens right after {x}?",
        lambda order, m: _relative(order, m["x"], +1),
    ),
    (
        "right_before",
        re.compile(r"^What happens right before (?P<x>.+)\?$"),
        lambda x, y: f"What happens right before {x}?",
        lambda order, m: _relative(order, m["x"], -1),
    ),
    (
        "before_or_after",
        re.compile(r'^Does "(?P<x>.+)" happen before or after "(?P<y>.+)"\?$'),
        lambda x, y: f'Does "{x}" happen before or after "{y}"?',
        lambda order, m: "before" if _position(order, m["x"]) < _position(order, m["y"]) else "after",
    ),
    (
        "which_first",
        re.compile(r"^Which happens first: (?P<x>.+) or (?P<y>.+)\?$"),
        lambda x, y: f"Which happens first: {x} or {y}?",
        lambda order, m: _name(order, min(m["x"], m["y"], key=lambda p: _position(order, p))),
    ),
    (
        "which_last",
        re.compile(r"^Which happens last: (?P<x>.+) or (?P<y>.+)\?$"),
        lambda x, y: f"Which happens last: {x} or {y}?",
        lambda order, m: _name(order, max(m["x"], m["y"], key=lambda p: _position(order, p))),
    ),
    (
        "order",
        re.compile(r"^In which order do these happen: (?P<x>.+)\?$"),
        lambda x, y: f"In which order do these happen: {_listing(x)}?",
        lambda order, m: _in_order(order, m["x"].split("; ")),
    ),
]


def _position(order: Sequence[str], phrase: str) -> int:
    phrases = [_phrase(c).lower() for c in order]
    return phrases.index(_phrase(phrase).lower())


def _relative(order: Sequence[str], phrase: str, step: int) -> str:
    k = _position(order, phrase) + step
    if not 0 <= k < len(order):
        return "nothing, the video " + ("ends" if step > 0 else "starts") + " there"
    return _name(order, order[k])


def _short_forms(phrases: Sequence[str]) -> list[str]:
    """The phrases without the words they all start with ("the screen turns red" -> "red"), so an answer
    names what changes; the full phrases when they share less than two words (an article) or when
    stripping would leave one empty."""
    words = [p.split() for p in phrases]
    shared = 0
    while all(len(w) > shared + 1 for w in words) and len({w[shared].lower() for w in words}) == 1:
        shared += 1
    return [" ".join(w[shared if shared >= 2 else 0 :]) for w in words]


def _names(order: Sequence[str]) -> dict[str, str]:
    """Each scene's answer phrase: its short form among *all* the clip's scenes (so the same scene gets
    the same name whatever the order, and whichever question names it), lower case and bare, the way a
    benchmark's options read ("red", "on the left"), not a caption sentence. An answer is then the
    temporal content and nothing else: a pair's chosen and rejected answers differ in the scene they
    name, and a model learns the answer phrases the benchmarks score."""
    phrases = sorted((_phrase(c) for c in order), key=str.lower)
    return {p.lower(): short.lower() for p, short in zip(phrases, _short_forms(phrases))}


def _name(order: Sequence[str], phrase: str) -> str:
    return _names(order)[_phrase(phrase).lower()]


def _in_order(order: Sequence[str], named: Sequence[str]) -> str:
    ranked = sorted(named, key=lambda p: _position(order, p))
    return ", then ".join(_name(order, p) for p in ranked)


def template_questions(captions: Sequence[str], num_questions: int, seed: str = "") -> list[tuple[str, str]]:
    """Up to ``num_questions`` (question, answer) pairs about the order of ``captions``, chosen
    deterministically from the *set* of captions (a clip and its reversal get the same questions).

    Needs at least 2 captions, all distinct (a repeated caption makes "right after X" ambiguous).
    """
    captions = [c for c in captions if _phrase(c)]
    phrases = [_phrase(c) for c in captions]
    if len(captions) < 2 or len({p.lower() for p in phrases}) != len(phrases):
        raise ValueError(f"template QA needs at least 2 distinct scene captions, got {list(captions)}")
    named = sorted(phrases, key=str.lower)  # order-free: the questions must not give the order away
    rng = random.Random(hashlib.sha256(("|".join(p.lower() for p in named) + seed).encode()).hexdigest())
    candidates: list[tuple[str, object, object]] = [("first", None, None), ("last", None, None)]
    candidates += [(rule, x, None) for rule in ("right_after", "right_before") for x in named]
    two = [(x, y) if rng.random() < 0.5 else (y, x) for i, x in enumerate(named) for y in named[i + 1 :]]
    candidates += [(rule, x, y) for rule in ("before_or_after", "which_first", "which_last") for x, y in two]
    candidates.append(("order", named, None))
    rng.shuffle(candidates)
    writers = {name: write for name, _, write, _ in _RULES}
    out, seen = [], set()
    for name, x, y in candidates:
        question = writers[name](x, y)
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

    name, model_id, supports_video = "template", "rules-v3", False

    @staticmethod
    def max_questions(captions: Sequence[str]) -> int:
        """How many distinct questions the rules can ask about ``captions`` (two scenes allow fewer than
        three): the recipe asks for at most that many instead of failing to parse a short reply."""
        return len(template_questions(captions, 10**6))

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
