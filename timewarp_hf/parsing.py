"""Reading structured answers out of free LLM text, tolerant of formatting drift.

The original code split on the literal ``"Q1:"`` and ``"Answer: "`` and silently produced garbage when a
model wrote ``**Q1.**`` or ``Question 1 -``. These parsers accept the common variants (markdown emphasis,
``Q1.``/``Q1)``/``Question 1:``, ``A:``/``Answer 1:``, numbering without letters, extra blank lines) and
return ``None`` when the text cannot be read, so the caller can retry or count the pair as unparsable.
"""

from __future__ import annotations

import re

__all__ = ["parse_answer", "parse_qa_pairs", "qa_format"]

_LABEL = r"[\*_#\s]*(?P<kind>Q|A|Question|Answer)\s*(?P<num>\d+)?\s*[\*_]*\s*[:.)\-]\s*[\*_]*"
_LINE_LABEL = re.compile(r"^" + _LABEL, re.IGNORECASE | re.MULTILINE)


def qa_format(num_questions: int) -> str:
    """The ``Q1: <question>`` / ``A1: <answer>`` block the QA prompt asks for."""
    return "\n".join(f"Q{k}: <question {k}>\nA{k}: <answer {k}>" for k in range(1, num_questions + 1))


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip("*_ ").strip()


def parse_qa_pairs(text: str, num_questions: int | None = None) -> list[tuple[str, str]] | None:
    """``[(question, answer), ...]`` from ``Q1:/A1:``-style text, or ``None`` if unreadable.

    With ``num_questions``, exactly that many complete pairs must be present (extra pairs are dropped).
    """
    if not text:
        return None
    marks = list(_LINE_LABEL.finditer(text))
    fields: list[tuple[str, str]] = []
    for k, mark in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        kind = "Q" if mark.group("kind").lower().startswith("q") else "A"
        fields.append((kind, _clean(text[mark.end() : end])))
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for kind, value in fields:
        if kind == "Q":
            pending = value or None
        elif pending is not None and value:
            pairs.append((pending, value))
            pending = None
    if not pairs or (num_questions is not None and len(pairs) < num_questions):
        return None
    return pairs[:num_questions] if num_questions is not None else pairs


_ANSWER = re.compile(r"^[\*_#\s]*Answer\s*\d*\s*[\*_]*\s*[:.\-]\s*[\*_]*", re.IGNORECASE | re.MULTILINE)


def parse_answer(text: str) -> str | None:
    """The text after an ``Answer:`` label, or the whole reply when the model skipped the label; ``None``
    when nothing is left."""
    if not text or not text.strip():
        return None
    match = _ANSWER.search(text)
    answer = _clean(text[match.end() :] if match else text)
    return answer or None
