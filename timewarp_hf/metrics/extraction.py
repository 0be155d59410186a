"""Answer extraction for temporal video benchmarks: pure functions, one rule per benchmark.

A Video-LLM answers a multiple-choice question in free text ("B", "(B) walking", "The answer is B",
"walking slowly", "a man walks in"). Scoring first has to read which option (or ``yes``/``no``) the text
names. Two families of readers live here:

* **corrected** (:func:`extract_choice`, :func:`extract_yes_no`): one extractor for every benchmark. It
  reads the final answer after a reasoning block (:func:`final_answer`), bare letters, ``(B)``, ``B.``,
  ``B) text``, "The answer is B", Chinese answer phrases ("答案是C"), "Option 2" for numbered options,
  lowercase letters where they cannot be words, and option text without a letter, in any case; yes/no
  also informal ("Nope", "Yeah", "Not really", "Y") and Chinese ("是", "不是"). It never reads the
  article "A" ("A man opens the door") or a capital letter inside a word as an option, never guesses
  when nothing names an option, and with ``strict=True`` refuses outputs that name several options.
* **reference** (``reference_<benchmark>``, each in its benchmark's module under
  :mod:`timewarp_hf.evaluation.benchmarks`, re-exported here): line-by-line ports of the scoring rules of
  lmms-eval 0.7.3 (``lmms_eval/tasks/<task>/utils.py``), read after lmms-eval's evaluator pre-processing
  (:func:`~timewarp_hf.metrics.rules.lmms_eval_response`), their flaws included, so a number can be compared with one that
  lmms-eval reports. Two things cannot be reproduced and are replaced by "no answer" (``None``): the
  GPT judge that TempCompass and ViTaTeCS call when their rules match nothing (lmms-eval scores those 0
  without an API key, so the scores still agree), and the *random* option that NExT-QA, EgoSchema and
  LongVideoBench draw when their parser finds nothing.

:data:`BENCHMARKS` maps each benchmark name to its :class:`BenchmarkRule` (gathered from the benchmark
modules' ``RULES``); :func:`extract_answer`
reads one prediction under a benchmark's rule and :func:`answer_reader` returns that reader for many.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from timewarp_hf.evaluation.benchmarks import RULES
from timewarp_hf.evaluation.benchmarks.egoschema import reference_egoschema
from timewarp_hf.evaluation.benchmarks.longvideobench import reference_longvideobench
from timewarp_hf.evaluation.benchmarks.motionbench import reference_motionbench
from timewarp_hf.evaluation.benchmarks.mvbench import reference_mvbench
from timewarp_hf.evaluation.benchmarks.nextqa import reference_nextqa
from timewarp_hf.evaluation.benchmarks.perceptiontest import reference_perceptiontest
from timewarp_hf.evaluation.benchmarks.tempcompass import (
    caption_matching_lines,
    reference_tempcompass_caption_matching,
    reference_tempcompass_multi_choice,
    reference_tempcompass_yes_no,
)
from timewarp_hf.evaluation.benchmarks.temporalbench import reference_temporalbench
from timewarp_hf.evaluation.benchmarks.tomato import reference_tomato
from timewarp_hf.evaluation.benchmarks.tvbench import reference_tvbench
from timewarp_hf.evaluation.benchmarks.videohallucer import reference_videohallucer
from timewarp_hf.evaluation.benchmarks.videomme import reference_videomme, reference_videomme_number_option
from timewarp_hf.evaluation.benchmarks.vinoground import reference_vinoground
from timewarp_hf.evaluation.benchmarks.vitatecs import reference_vitatecs
from timewarp_hf.metrics.rules import (
    LETTERS,
    LMMS_EVAL_REASONING_TAGS,
    MODES,
    BenchmarkRule,
    check_mode,
    lmms_eval_response,
)

__all__ = [
    "BENCHMARKS",
    "LETTERS",
    "LMMS_EVAL_REASONING_TAGS",
    "MODES",
    "BenchmarkRule",
    "answer_reader",
    "caption_matching_lines",
    "check_mode",
    "extract_answer",
    "extract_choice",
    "extract_yes_no",
    "final_answer",
    "get_rule",
    "lmms_eval_response",
    "reference_egoschema",
    "reference_longvideobench",
    "reference_motionbench",
    "reference_mvbench",
    "reference_nextqa",
    "reference_perceptiontest",
    "reference_tempcompass_caption_matching",
    "reference_tempcompass_multi_choice",
    "reference_tempcompass_yes_no",
    "reference_temporalbench",
    "reference_tomato",
    "reference_tvbench",
    "reference_videohallucer",
    "reference_videomme",
    "reference_videomme_number_option",
    "reference_vinoground",
    "reference_vitatecs",
]


# ----------------------------------------------------------------------------------------------------
# Corrected extraction
# ----------------------------------------------------------------------------------------------------

# "A" (and "I", and any lowercase letter) followed by a lowercase word is an article or a pronoun
# ("A man opens...", "the answer is a dog"), unless that word is one that follows an answer letter.
_LABEL_FOLLOWERS = frozenset(
    "because since as is was and or but so seems fits matches best would should could describes "
    "correctly correct right".split()
)
_FOLLOWING_WORD = re.compile(r"\s+([a-z][\w'’]*)")

_PHRASES = (
    r"answer|option|choice|caption|sentence"
    r"|i\s+(?:would\s+)?(?:choose|select|pick|go\s+with)"
)
# Chinese answer phrases ("答案是C", "正确答案为：B", "我选A", "选项D"): CJK characters are word characters,
# so "答案是C" has no word boundary before the letter; these are matched without one.
_CJK_PHRASES = r"(?:正确)?答案|选项|选择|我选|应选|选"
_CJK_COPULA = r"(?:应该是|应该选|应当是|应是|应为|就是|是|为|為)?"
_STRIP_WHOLE = " \t\n\"'.,;:!?()[]{}<>。，、；：！？（）【】「」“”‘’"


@dataclass(frozen=True)
class _LabelPatterns:
    """Regexes that find option labels among ``num_choices`` options, compiled once per shape."""

    labels: dict[str, int]  # label text (upper case) -> option index
    phrase: re.Pattern[str]
    cjk_phrase: re.Pattern[str]
    leading: re.Pattern[str]
    bracketed: re.Pattern[str]
    punctuated: re.Pattern[str]
    bare: re.Pattern[str]


@lru_cache(maxsize=64)
def _label_patterns(num_choices: int, numbered: bool) -> _LabelPatterns:
    letters = LETTERS[:num_choices]
    labels = {letter: i for i, letter in enumerate(letters)}
    # Digits are labels only when the options were shown numbered; longest first so "10" beats "1".
    digits = [str(i + 1) for i in range(num_choices)][::-1] if numbered else []
    labels.update({digit: int(digit) - 1 for digit in digits})
    any_case = f"[{letters}{letters.lower()}]" + "".join(f"|{d}" for d in digits)
    upper = f"[{letters}]" + "".join(f"|{d}" for d in digits)
    edge_l, edge_r = r"(?<![\w'’])", r"(?![\w'’])"
    return _LabelPatterns(
        labels=labels,
        phrase=re.compile(
            rf"\b(?:{_PHRASES})(?:\s+(?:is|would\s+be|should\s+be|will\s+be|must\s+be))?\s*[:=\-]?\s*"
            rf"(?:option\s+|choice\s+)?[(\[]?(?P<label>{any_case}){edge_r}",
            re.IGNORECASE,
        ),
        cjk_phrase=re.compile(
            rf"(?:{_CJK_PHRASES})\s*{_CJK_COPULA}\s*[:：]?\s*[(（\[【]?(?P<label>{any_case})(?![A-Za-z0-9])"
        ),
        # "(b)", "b)", "B.", "2:", "B -", or a capital letter on its own ("B because..."); a digit on
        # its own opens counts ("2 people...") too often to be a label.
        leading=re.compile(
            rf"^(?:[(\[](?P<a>{any_case})[)\]]|(?P<b>{any_case})[)\]]|(?P<c>{upper})(?:[.:,]|\s+-\s)"
            rf"|(?P<d>[{letters}]){edge_r})"
        ),
        bracketed=re.compile(rf"[(\[](?P<label>{any_case})[)\]]"),
        punctuated=re.compile(rf"{edge_l}(?P<label>{upper})[.:)](?=\s|$)"),
        bare=re.compile(rf"{edge_l}(?P<label>[{letters}]){edge_r}"),
    )


_NON_WORD = re.compile(r"[^\w]+")
_STANDALONE_CAPITAL = re.compile(r"(?<![\w'’])[A-Z](?![\w'’])")
_MARKDOWN = str.maketrans("", "", "*`")


def _normalize_text(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: the form option texts are compared in."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


# Reasoning blocks of reasoning models, any case: <think>, <thinking>, <analysis>, <reasoning>.
_REASONING_OPEN = re.compile(r"<(?:think|thinking|analysis|reasoning)>", re.IGNORECASE)
_REASONING_CLOSE = re.compile(r"</(?:think|thinking|analysis|reasoning)>", re.IGNORECASE)


def final_answer(prediction: str | None) -> str:
    """The part of an output that is its answer, not its reasoning.

    After a reasoning block the answer is what follows the last closing tag (a whole
    ``<think>...</think>`` block, or only the closing tag when the chat template opened the block in the
    prompt). A block that is opened and never closed is reasoning to the end: what comes before it is the
    answer, so an output cut off inside its reasoning has no answer (it reads as unparsed rather than as
    whichever option the reasoning mentioned last).
    """
    text = prediction or ""
    closes = list(_REASONING_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    unclosed = _REASONING_OPEN.search(text)
    return text[: unclosed.start()] if unclosed else text


def _clean(prediction: str | None) -> str:
    """Keep the final answer of a reasoning model, drop Markdown emphasis, collapse whitespace."""
    return " ".join(final_answer(prediction).translate(_MARKDOWN).split())


_SHOUTED_WORD = re.compile(r"\s+([A-Z][A-Z'’]+)\b")


def _is_word(text: str, end: int, label: str) -> bool:
    """True when the letter ending at ``end`` reads as a word: "A man", "I think", "is a dog", and in
    an output written in capitals, "A MAN"."""
    if not (label == "A" or label == "I" or label.islower()):
        return False
    following = _FOLLOWING_WORD.match(text, end)
    if following is None and label in ("A", "I"):
        following = _SHOUTED_WORD.match(text, end)
    return following is not None and following.group(1).lower() not in _LABEL_FOLLOWERS


def _lettered_spans(text: str, options: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``text`` quotes an option whose text holds a capital letter on its own ("Person A hands
    the ball to person B"): letters there belong to the option, they are not answer labels."""
    return [
        match.span()
        for option in options
        if " " in option.strip() and _STANDALONE_CAPITAL.search(option)
        for match in re.finditer(re.escape(" ".join(option.split())), text, re.IGNORECASE)
    ]


def _option_text_matches(text: str, options: Sequence[str]) -> list[int]:
    """Indices of the options whose text appears in ``text``, dropping options contained in another
    matched option ("walking" inside "walking slowly")."""
    normalized = [_normalize_text(option) for option in options]
    padded = f" {_normalize_text(text)} "
    found = [i for i, option in enumerate(normalized) if option and f" {option} " in padded]
    return [i for i in found if not any(j != i and normalized[i] in normalized[j] for j in found)]


def _tiers(patterns: _LabelPatterns, text: str) -> Iterator[Iterable[re.Match[str]]]:
    """Label matches in ``text``, one iterable per tier, strongest tier first."""
    yield [*patterns.phrase.finditer(text), *patterns.cjk_phrase.finditer(text)]
    leading = patterns.leading.match(text)
    yield [leading] if leading else []
    yield [*patterns.bracketed.finditer(text), *patterns.punctuated.finditer(text)]
    yield patterns.bare.finditer(text)


def extract_choice(
    prediction: str | None,
    options: Sequence[str] = (),
    *,
    num_choices: int | None = None,
    numbered: bool = False,
    strict: bool = False,
) -> str | None:
    """Read the option letter a free-text answer names, or ``None`` when it names none.

    Args:
        prediction: The model's raw output.
        options: The option texts in display order (used to read answers given as option text, and
            to know how many letters are valid). May be empty.
        num_choices: How many options there are when ``options`` is empty.
        numbered: The options were shown as 1, 2, 3... so digits are labels too ("2", "Option 2").
        strict: Return ``None`` when the output names more than one option ("A or B", "B, not C")
            instead of keeping the strongest, latest mention.

    Returns:
        An upper-case letter ("A" is the first option), or ``None``.

    Mentions are ranked: the whole output is a label; an answer phrase ("the answer is B", "Option 2",
    "I choose (C)"); a label opening the output ("B. walking", "(B)", "b)"); a marked label anywhere
    ("(B)", "B.", "B:"); a bare capital letter. The strongest kind wins and, among equals, the last one
    (models state their conclusion last). With no label at all, the one option whose text the output
    contains (the longest, when one option's text contains another's).
    """
    text = _clean(prediction)
    if not text:
        return None
    n = len(options) or num_choices or 0
    if n == 0:
        raise ValueError("extract_choice needs the options or num_choices to know which letters are valid")
    patterns = _label_patterns(n, numbered)
    whole = text.strip(_STRIP_WHOLE).upper()
    if whole in patterns.labels:
        return LETTERS[patterns.labels[whole]]
    if options:  # the output is one option's text, in any case ("A MAN OPENS THE DOOR")
        normalized = _normalize_text(text)
        exact = [
            i for i, option in enumerate(options) if normalized and _normalize_text(option) == normalized
        ]
        if len(exact) == 1:
            return LETTERS[exact[0]]

    lettered: list[tuple[int, int]] | None = None  # found on first need: most outputs never need it
    named: set[int] = set()
    for matches in _tiers(patterns, text):
        found = []  # (position, option index)
        for match in matches:
            label = match.group(match.lastgroup)
            start, end = match.span(match.lastgroup)
            if _is_word(text, end, label):
                continue
            if options:
                lettered = _lettered_spans(text, options) if lettered is None else lettered
                if any(a <= start and end <= b for a, b in lettered):
                    continue
            found.append((start, patterns.labels[label.upper()]))
        if found and not strict:
            return LETTERS[max(found)[1]]
        named.update(index for _, index in found)
    if named:
        return LETTERS[named.pop()] if len(named) == 1 else None
    matched = _option_text_matches(text, options) if options else []
    return LETTERS[matched[0]] if len(matched) == 1 else None


# Ways of saying no that contain a word of yes, tried first ("absolutely not", "not really").
_NO_PHRASES = (
    r"not\s+really|not\s+at\s+all|i\s+(?:don'?t|do\s+not)\s+think\s+so|(?:definitely|certainly|absolutely"
    r"|of\s+course|surely)\s+not|no\s+way"
)
_NO_WORDS = r"no|nope|nah|negative"
_YES_WORDS = r"yes|yeah|yep|yup|yea|affirmative"
# Answers that open an output only ("Sure, ..."): anywhere else they are not answers ("I'm not sure").
_YES_OPENERS = r"absolutely|certainly|definitely|of\s+course|sure|indeed"
_LEADING_YES_NO = re.compile(
    rf"^\W*(?:(?P<no>{_NO_PHRASES}|{_NO_WORDS})|(?P<yes>{_YES_WORDS}|{_YES_OPENERS}))\b"
)
_YES_NO = re.compile(rf"\b(?:(?P<no>{_NO_PHRASES}|{_NO_WORDS})|(?P<yes>{_YES_WORDS}))\b")
# Chinese: 是/是的/对/有/正确 (yes), 不是/不对/否/不/没有/错 (no), opening the answer or after 答案是.
_CJK_YES_NO = re.compile(
    r"^(?:(?:正确)?答案\s*(?:是|为|為)?\s*[:：]?\s*)?(?:(?P<no>不是|不对|不對|不|否|没有|沒有|错|錯)|(?P<yes>是|对|對|有|正确|正確))"
)
_SINGLE_LETTER = {"y": "yes", "n": "no"}


def extract_yes_no(prediction: str | None, *, strict: bool = False) -> str | None:
    """Read ``"yes"`` or ``"no"`` from a free-text answer, or ``None``.

    The opening decides when it is an answer: "No, the man...", informal ones ("Nope", "Yeah", "Yep",
    "Nah", "Not really", "I don't think so", "Absolutely not", "Sure"), a lone "Y" or "N", or Chinese
    ("是", "是的", "不是", "否", "没有", "答案是：不是"). Otherwise the only answer word that appears
    ("The answer is yes.", "I don't think so."). Words that merely start with "no" ("not", "none",
    "nothing") and hedges ("not sure") are not answers. When both appear after an opening that is
    neither, ``strict`` returns ``None`` and the default keeps the first one.
    """
    text = _clean(prediction).lower()
    whole = text.strip(_STRIP_WHOLE)
    if whole in _SINGLE_LETTER:
        return _SINGLE_LETTER[whole]
    for pattern in (_LEADING_YES_NO, _CJK_YES_NO):
        leading = pattern.match(whole)
        if leading:
            return leading.lastgroup
    found = [match.lastgroup for match in _YES_NO.finditer(text)]
    if not found or (strict and len(set(found)) > 1):
        return None
    return found[0]


# ----------------------------------------------------------------------------------------------------
# Benchmarks: each benchmark module's RULES, gathered
# ----------------------------------------------------------------------------------------------------

BENCHMARKS: dict[str, BenchmarkRule] = {rule.name: rule for rule in RULES}


def get_rule(benchmark: str, mode: str = "corrected", strict: bool = False) -> BenchmarkRule:
    """Look up a benchmark's rule, checking that ``mode`` and ``strict`` make sense for it."""
    if benchmark not in BENCHMARKS:
        raise ValueError(f"Unknown benchmark {benchmark!r}; accepted: {', '.join(BENCHMARKS)}")
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}; accepted: {', '.join(MODES)}")
    rule = BENCHMARKS[benchmark]
    if mode == "reference":
        if rule.reference is None:
            with_reference = [name for name, r in BENCHMARKS.items() if r.reference is not None]
            raise ValueError(
                f"Benchmark {benchmark!r} has no lmms-eval rule to reproduce; mode='reference' is "
                f"accepted for: {', '.join(with_reference)}"
            )
        if strict:
            raise ValueError(
                "strict=True needs mode='corrected': mode='reference' reproduces lmms-eval, which never refuses"
            )
    return rule


def answer_reader(
    benchmark: str = "generic", mode: str = "corrected", strict: bool = False, numbered: bool = False
) -> Callable[[str | None, Sequence[str]], str | None]:
    """The function ``(prediction, options) -> answer`` for one benchmark's rule, resolved once so
    scoring many predictions pays for the lookup once. Arguments as for :func:`extract_answer`."""
    rule = get_rule(benchmark, mode, strict)
    if mode == "reference":

        def read_reference(prediction: str | None, options: Sequence[str]) -> str | None:
            if rule.reference_needs_options and not options:
                raise ValueError(f"mode='reference' for {benchmark!r} reads the option texts; pass options")
            return rule.reference(lmms_eval_response(prediction), options)

        return read_reference
    if rule.answer_type == "yes_no":
        return lambda prediction, options: extract_yes_no(prediction, strict=strict)

    def read(prediction: str | None, options: Sequence[str]) -> str | None:
        shown_numbered = numbered or rule.numbered
        if rule.corrected_options is not None and options:
            options, shown_numbered = rule.corrected_options(options)
            shown_numbered = numbered or shown_numbered
        return extract_choice(
            prediction, options, num_choices=rule.num_choices, numbered=shown_numbered, strict=strict
        )

    return read


def extract_answer(
    prediction: str | None,
    *,
    benchmark: str = "generic",
    options: Sequence[str] = (),
    mode: str = "corrected",
    strict: bool = False,
    numbered: bool = False,
) -> str | None:
    """Read the answer a prediction gives under one benchmark's rule.

    Args:
        prediction: The model's raw output (``None`` reads as an empty output).
        benchmark: A key of :data:`BENCHMARKS`.
        options: The option texts in display order (TempCompass caption matching: the option lines,
            "Caption A: ...", or bare texts).
        mode: ``"corrected"`` (our extractor) or ``"reference"`` (lmms-eval's rule, flaws included).
        strict: Corrected mode only: ``None`` for outputs that name several options.
        numbered: Corrected mode: the options were shown as 1, 2, 3...

    Returns:
        An option letter, ``"yes"``/``"no"`` for yes/no benchmarks, or ``None``.
    """
    return answer_reader(benchmark, mode, strict, numbered)(prediction, options)
