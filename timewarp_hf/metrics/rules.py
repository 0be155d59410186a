"""The pieces every benchmark's answer rule is built from, with no dependency on any benchmark.

:class:`BenchmarkRule` says how one benchmark's answers are read and counted; each benchmark module in
:mod:`timewarp_hf.evaluation.benchmarks` declares its own next to its schema and prompt, and
:mod:`timewarp_hf.metrics.extraction` gathers them. :func:`lmms_eval_response` is lmms-eval's evaluator
pre-processing, which every reference rule reads after.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..constants import READING_MODES

LETTERS = string.ascii_uppercase
MODES = READING_MODES


def check_mode(mode: str, strict: bool, reference: str) -> None:
    """Validate a metric's ``mode``/``strict`` pair; ``reference`` names what reference mode reproduces."""
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}; accepted: {', '.join(MODES)}")
    if strict and mode == "reference":
        raise ValueError(
            f"strict=True needs mode='corrected': mode='reference' reproduces {reference}, "
            "which never refuses"
        )


#: ``lmms-eval``'s default ``--reasoning_tags`` (``lmms_eval/__main__.py``): the blocks its evaluator
#: removes from every response before the task sees it.
LMMS_EVAL_REASONING_TAGS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),
    ("<analysis>", "</analysis>"),
)


def lmms_eval_response(prediction: str | None) -> str:
    """The response as lmms-eval 0.7.3's task ``process_results`` receives it.

    lmms-eval's evaluator (``_process_document_results``) first applies
    ``lmms_eval.api.reasoning.strip_reasoning_tags`` with the CLI's default tag pairs (every complete
    ``<think>...</think>`` block is cut out; with only a closing tag, the text after the last one is kept;
    an unclosed opening tag is left as it is; tags are case-sensitive; the result is stripped), then the
    task wrapper (``ConfigurableTask.process_results``) maps ``None`` to ``""`` and strips again. Every
    reference rule reads this text, so "<think>maybe A</think>C" and "  C  " read as lmms-eval reads them.
    """
    if prediction is None:
        return ""
    result = prediction
    for start_tag, end_tag in LMMS_EVAL_REASONING_TAGS:
        while start_tag in result and end_tag in result:
            start = result.find(start_tag)
            end = result.find(end_tag, start)
            if start != -1 and end != -1:
                result = result[:start] + result[end + len(end_tag) :]
            else:
                break
        if end_tag in result and start_tag not in result:
            result = result.rsplit(end_tag, 1)[-1]
    return result.strip().strip()


def _argmax_first(values: Sequence[int]) -> int:
    """``numpy.argmax``: index of the first maximum."""
    return max(range(len(values)), key=lambda i: (values[i], -i))


def mentioned_options(response: str, index2ans: Mapping[str, str]) -> list[str]:
    """The option letters whose text ``response`` contains (case-folded): lmms-eval's fallback in its
    ``parse_multi_choice_response`` ports when no letter is found in a long answer."""
    return [index for index, answer in index2ans.items() if answer.lower() in response.lower()]


def last_mentioned(
    response: str, candidates: Sequence[str], index2ans: Mapping[str, str], *, by_text: bool, bracketed: bool
) -> str:
    """lmms-eval's pick among several candidate letters: the one mentioned last in ``response``, found
    as ``(X)`` or `` X `` (``bracketed`` says which matched), or by its option text (``by_text``)."""
    if by_text:
        starts = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
    else:
        template = "({})" if bracketed else " {} "
        starts = [response.rfind(template.format(c)) for c in candidates]
    return candidates[_argmax_first(starts)]


def _first_character(prediction: str, options: Sequence[str], num_choices: int) -> str | None:
    letter = prediction[:1].upper()
    return letter if letter and letter in LETTERS[: len(options) or num_choices] else None


@dataclass(frozen=True)
class BenchmarkRule:
    """How one benchmark's answers are read and counted.

    Attributes:
        name: The benchmark name accepted by the metrics.
        answer_type: ``"choice"`` (references are option letters) or ``"yes_no"``.
        num_choices: How many letters are valid when the options are not given.
        reference: The lmms-eval port used by ``mode="reference"`` (``None`` when lmms-eval has none).
        reference_needs_options: The port reads the option texts, so rows must carry them.
        reference_drops_empty: lmms-eval leaves empty outputs out of the denominator (MVBench).
        reference_digits: lmms-eval rounds the reported accuracy to this many decimals (LongVideoBench).
        numbered: The benchmark shows its options as 1, 2, 3... (Video-MME's ``number_option``), so
            corrected mode reads digits as labels too.
        source: Where the reference rule lives in lmms-eval.
    """

    name: str
    answer_type: str
    num_choices: int
    reference: Callable[[str, Sequence[str]], str | None] | None
    reference_needs_options: bool = False
    reference_drops_empty: bool = False
    numbered: bool = False
    reference_digits: int | None = None
    source: str = ""
    #: Corrected mode: turns the options as stored into ``(texts, numbered)`` for the shared
    #: extractor (TempCompass caption matching stores whole "Caption A: ..." lines).
    corrected_options: Callable[[Sequence[str]], tuple[list[str], bool]] | None = None
