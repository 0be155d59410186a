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
* **reference** (``reference_<benchmark>``): line-by-line ports of the scoring rules of lmms-eval 0.7.3
  (``lmms_eval/tasks/<task>/utils.py``), their flaws included, so a number can be compared with one that
  lmms-eval reports. Two things cannot be reproduced and are replaced by "no answer" (``None``): the
  GPT judge that TempCompass and ViTaTeCS call when their rules match nothing (lmms-eval scores those 0
  without an API key, so the scores still agree), and the *random* option that NExT-QA, EgoSchema and
  LongVideoBench draw when their parser finds nothing.

:data:`BENCHMARKS` maps each benchmark name to its :class:`BenchmarkRule`; :func:`extract_answer`
reads one prediction under a benchmark's rule and :func:`answer_reader` returns that reader for many.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

LETTERS = string.ascii_uppercase
MODES = ("corrected", "reference")


def check_mode(mode: str, strict: bool, reference: str) -> None:
    """Validate a metric's ``mode``/``strict`` pair; ``reference`` names what reference mode reproduces."""
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}; accepted: {', '.join(MODES)}")
    if strict and mode == "reference":
        raise ValueError(
            f"strict=True needs mode='corrected': mode='reference' reproduces {reference}, "
            "which never refuses"
        )


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
        exact = [i for i, option in enumerate(options) if normalized and _normalize_text(option) == normalized]
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
# Reference rules: ports of lmms-eval 0.7.3, lmms_eval/tasks/<task>/utils.py
# ----------------------------------------------------------------------------------------------------

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


def reference_tempcompass_multi_choice(prediction: str, options: Sequence[str]) -> str | None:
    """``tempcompass_process_results_multi_choice``: only ``X``, ``X.``, ``X)`` at the very start
    (``pred == answer`` is one case of ``X.``); anything else goes to the GPT judge."""
    if prediction in ("A", "B", "C", "D"):
        return prediction
    for letter in "ABCD":
        if prediction.startswith((letter + ".", letter + ")")):
            return letter
    return None


def reference_tempcompass_yes_no(prediction: str, options: Sequence[str]) -> str | None:
    """``extract_pred``: lower-cased output starting with "yes" or "no" (so "not", "none" read as no)."""
    lowered = prediction.lower()
    if lowered.startswith("yes"):
        return "yes"
    if lowered.startswith("no"):
        return "no"
    return None


_CAPTION_LINE = re.compile(r"^(?:Caption|Sentence|Option) \w+: ")


def caption_matching_lines(options: Sequence[str]) -> list[str]:
    """TempCompass caption-matching options as the question shows them ("Caption A: ..."). Options
    given as bare text are labelled "Caption A", "Caption B", ... (the most common label)."""
    return [
        option if _CAPTION_LINE.match(option) else f"Caption {LETTERS[i]}: {option}"
        for i, option in enumerate(options)
    ]


def reference_tempcompass_caption_matching(prediction: str, options: Sequence[str]) -> str | None:
    """``eval_rule``: the output must equal a whole option line, its sentence (also after a ``") "``),
    or its label ("Caption A" / "A", dots removed); later rules and later options override earlier."""
    lines = caption_matching_lines(options)
    sentences = [line.split(": ")[1] for line in lines]
    indices = [line.split(": ")[0] for line in lines]
    short = [i.replace("Sentence ", "").replace("Option ", "").replace("Caption ", "") for i in indices]
    matched = None
    for i, line in enumerate(lines):
        if line == prediction:
            matched = i
    for i, sentence in enumerate(sentences):
        if sentence == prediction or (") " in prediction and sentence == prediction.split(") ")[1]):
            matched = i
    for i, label in enumerate(indices + short):
        if label == prediction or label == prediction.replace(".", ""):
            matched = i % len(lines)
    return None if matched is None else LETTERS[matched]


_MVBENCH_PUNCT = [
    ";",
    r"/",
    "[",
    "]",
    '"',
    "{",
    "}",
    "(",
    ")",
    "=",
    "+",
    "\\",
    "_",
    "-",
    ">",
    "<",
    "@",
    "`",
    ",",
    "?",
    "!",
]
_MVBENCH_PERIOD = re.compile(r"(?!<=\d)(\.)(?!\d)")
_MVBENCH_COMMA = re.compile(r"(\d)(\,)(\d)")
_MVBENCH_OPTION = re.compile(r"^([A-E])\.\s*(.+)$", re.IGNORECASE)
_MVBENCH_LETTER = re.compile(r"\b([A-E])\b", re.IGNORECASE)


def reference_mvbench(prediction: str, options: Sequence[str]) -> str | None:
    """``mcq_acc.process``: "X. text" at the start, else VQA-style punctuation stripping, lower case and
    the first standalone a-e anywhere, so the article "a" reads as option A."""
    match = _MVBENCH_OPTION.match(prediction.strip())
    if match:
        return match.group(1).upper()
    answer = prediction.replace("\n", " ").replace("\t", " ").strip()
    out = answer
    for p in _MVBENCH_PUNCT:
        if (p + " " in answer or " " + p in answer) or (re.search(_MVBENCH_COMMA, answer) is not None):
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    # lmms-eval passes re.UNICODE (32) positionally, where `sub` expects `count`: at most 32 periods go.
    out = _MVBENCH_PERIOD.sub("", out, 32)
    out = out.strip("'").strip('"').strip(")").strip("(").strip().lower()
    letter = _MVBENCH_LETTER.search(out)
    return letter.group(1).upper() if letter else None


_VIDEOMME_PHRASES = (
    "the answer is", "answer is", "the correct answer is", "correct answer is", "the best answer is",
    "best answer is", "the correct option is", "correct option is", "the best option is", "best option is",
    "the choice is", "choice is", "the correct choice is", "correct choice is", "i choose", "i select",
    "i pick", "my answer is", "my choice is", "옵션", "정답은", "답은", "답:", "答案是", "答案为", "选", "答えは",
)  # fmt: skip
_VIDEOMME_PRIORITY = {
    "start": 10, "end": 9, "phrase": 7, "parentheses": 6, "period": 5, "colon": 4, "right_paren": 3,
    "space": 2, "fallback": 0,
}  # fmt: skip


def reference_videomme(prediction: str, options: Sequence[str]) -> str | None:
    """``_task_utils/mcq_extract.py::extract_mcq_answer`` with choices A-D: ranked formats, the
    highest-ranked (then last) wins, and a capital A-D anywhere (inside "Based" too) as the fallback.
    "A man..." counts as starting with the standalone letter A."""
    if not prediction or not prediction.strip():
        return None
    choices = ["A", "B", "C", "D"]
    text = prediction.strip()
    for char in [",", ".", "!", "?", ";", ":", "'", '"']:
        text = text.strip(char)
    text = " " + text + " "
    candidates: list[tuple[str, int, str]] = []
    for fmt, template in (
        ("parentheses", "({})"),
        ("period", "{}."),
        ("colon", "{}:"),
        ("right_paren", "{})"),
        ("space", "{} "),
    ):
        for ch in choices:
            if template.format(ch) in text:
                candidates.append((ch, text.rfind(template.format(ch)), fmt))
    text_lower = text.lower()
    for phrase in _VIDEOMME_PHRASES:
        idx = text_lower.find(phrase)
        if idx != -1:
            for ch in choices:
                ch_pos = text.find(ch, idx + len(phrase))
                if ch_pos != -1:
                    candidates.append((ch, ch_pos, "phrase"))
    stripped = text.strip()
    for ch in choices:
        if stripped.startswith(ch) and (len(stripped) == 1 or not stripped[1].isalpha()):
            candidates.append((ch, 0, "start"))
    for ch in choices:
        if stripped.endswith(ch) and (len(stripped) == 1 or not stripped[-2].isalpha()):
            candidates.append((ch, len(text) - 1, "end"))
    if not candidates:
        candidates = [(ch, text.rfind(ch), "fallback") for ch in choices if ch in text]
    if not candidates:
        return None
    candidates.sort(key=lambda c: (_VIDEOMME_PRIORITY[c[2]], c[1]), reverse=True)
    return candidates[0][0]


def reference_videomme_number_option(prediction: str, options: Sequence[str]) -> str | None:
    """``videomme/number_option/utils.py::extract_number_answer`` (options shown as 1-4): "N." / "N)"
    / "N " at the start, else the first standalone digit 1-4 anywhere ("2 people" reads as option 2).
    The option named is returned as its letter (option 1 is A); lmms-eval compares the digit it read
    with the gold digit, which is the same comparison."""
    response = prediction.strip()
    for pattern in (r"^([1-4])[\.\)\s]", r"\b([1-4])\b"):
        match = re.search(pattern, response)
        if match:
            return LETTERS[int(match.group(1)) - 1]
    if response and response[0] in "1234":
        return LETTERS[int(response[0]) - 1]
    return None


def reference_tvbench(prediction: str, options: Sequence[str]) -> str | None:
    """``_extract_choice_letter``: the *first* standalone capital letter if it is a valid choice (the
    article "A" included; "I think B" stops at "I"), else a leading "(X)"/"X." label, else the one
    option whose text the output contains."""
    text = str(prediction or "").strip()
    if not text:
        return None
    all_choices = LETTERS[: max(len(options), 2)]
    uppercase = text.upper()
    letter = re.search(r"\b([A-Z])\b", uppercase)
    if letter and letter.group(1) in all_choices:
        return letter.group(1)
    prefix = re.match(r"^\s*[\(\[]?([A-Z])[\)\].:]?", uppercase)
    if prefix and prefix.group(1) in all_choices:
        return prefix.group(1)
    normalized = " ".join(text.lower().split())
    candidates = [" ".join(c.strip().lower().split()) for c in options]
    matched = [i for i, c in enumerate(candidates) if c and c in normalized]
    return all_choices[matched[0]] if len(matched) == 1 else None


def _argmax_first(values: Sequence[int]) -> int:
    """``numpy.argmax``: index of the first maximum."""
    return max(range(len(values)), key=lambda i: (values[i], -i))


def reference_tomato(prediction: str, options: Sequence[str]) -> str | None:
    """``parse_multi_choice_response`` (the GPT parser is off): a choice letter found *anywhere*, even
    inside a word ("Answer" gives A); several found and no "(X)" in the output gives the first; no
    letter and a long output tries option texts; nothing found gives "A"."""
    all_choices = [LETTERS[i] for i in range(len(options))]
    index2ans = dict(zip(all_choices, options, strict=True))
    response = prediction
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans, ans_with_brack = True, False
    candidates = [c for c in all_choices if c in response]
    if candidates:
        ans_with_brack = True
    else:
        candidates = [c for c in all_choices if f" {c} " in response]
    if not candidates and len(response.split()) > 5:
        for index, ans in index2ans.items():
            if ans.lower() in response.lower():
                candidates.append(index)
                index_ans = False
    if not candidates:
        return "A"
    if len(candidates) == 1:
        return candidates[0]
    if index_ans:
        template = "({})" if ans_with_brack else " {} "
        starts = [response.rfind(template.format(c)) for c in candidates]
    else:
        starts = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
    return candidates[_argmax_first(starts)]


def reference_perceptiontest(prediction: str, options: Sequence[str]) -> str | None:
    """``perceptiontest_val_process_results_mc``: the first standalone capital A-D (the article "A" too)."""
    match = re.search(r"\b([A-D])\b", prediction.strip())
    return match.group(1) if match else None


def reference_nextqa(prediction: str, options: Sequence[str]) -> str | None:
    """``nextqa_mc_process_results`` (MMMU parser): "(X)", else "X " (so "A man" is A), else "X.",
    else option text in outputs over five words; the last mention wins. lmms-eval draws a random
    letter when nothing matches; that draw cannot be reproduced and reads as no answer here."""
    all_choices = [LETTERS[i] for i in range(len(options))]
    index2ans = {c: o.strip() for c, o in zip(all_choices, options, strict=True)}
    response = prediction
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans, ans_with_brack = True, False
    candidates = [c for c in all_choices if f"({c})" in response]
    if candidates:
        ans_with_brack = True
    else:
        candidates = [c for c in all_choices if f"{c} " in response]
    if not candidates:
        candidates = [c for c in all_choices if f"{c}." in response]
    if not candidates and len(response.split()) > 5:
        for index, ans in index2ans.items():
            if ans.lower() in response.lower():
                candidates.append(index)
                index_ans = False
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    if index_ans:
        template = "({})" if ans_with_brack else " {} "
        starts = [response.rfind(template.format(c)) for c in candidates]
    else:
        starts = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
    return candidates[_argmax_first(starts)]


def reference_egoschema(prediction: str, options: Sequence[str]) -> str | None:
    """``egoschema_process_results_generation``: every "(X)", "X " and "X." (A-E) is a candidate and the
    one whose last occurrence comes *first* wins; option text (with its "X. " prefix, as the dataset
    stores it) in outputs over five words. lmms-eval's random fallback reads as no answer here."""
    all_choices = ["A", "B", "C", "D", "E"]
    index2ans = {LETTERS[i]: f"{LETTERS[i]}. {o}".strip() for i, o in enumerate(options)}
    response = prediction
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans = True
    candidates = [f"({c})" for c in all_choices if f"({c})" in response]
    candidates += [f"{c} " for c in all_choices if f"{c} " in response]
    candidates += [f"{c}." for c in all_choices if f"{c}." in response]
    if not candidates and len(response.split()) > 5:
        for index, ans in index2ans.items():
            if ans.lower() in response.lower():
                candidates.append(index)
                index_ans = False
    if not candidates:
        return None
    if len(candidates) > 1:
        if index_ans:
            starts = [response.rfind(c) for c in candidates]
        else:
            starts = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
        chosen = candidates[min(range(len(starts)), key=lambda i: (starts[i], i))]
    else:
        chosen = candidates[0]
    letter = chosen.replace("(", "").replace(")", "").replace(".", "").strip()
    return letter if letter in all_choices else None


_LVB_PREFIXES = (
    "The best answer is", "The correct answer is", "The answer is", "The answer", "The best option is",
    "The correct option is", "Best answer:", "Best option:",
)  # fmt: skip


def reference_longvideobench(prediction: str, options: Sequence[str]) -> str | None:
    """``parse_multi_choice_response``: drop answer prefixes, then the first capital A-E anywhere (the
    "B" of "Based" too). lmms-eval's random fallback reads as no answer here."""
    s = prediction.strip()
    for prefix in _LVB_PREFIXES:
        s = s.replace(prefix, "")
    match = re.search(r"[ABCDE]", s)
    return match[0] if match else None


_MOTIONBENCH_PREFIXES = (
    "THE BEST ANSWER IS",
    "THE CORRECT ANSWER IS",
    "THE ANSWER IS",
    "BEST ANSWER:",
    "ANSWER:",
)


def reference_motionbench(prediction: str, options: Sequence[str]) -> str | None:
    """``_extract_choice_letter``: upper-case everything (so the article "a" is option A), drop answer
    prefixes, then a standalone A-F, an "X."/"X)"/"X:", or any A-F inside a word."""
    candidate = prediction
    if "</think>" in candidate:
        candidate = candidate.split("</think>")[-1]
    candidate = candidate.strip().upper()
    if not candidate:
        return None
    for prefix in _MOTIONBENCH_PREFIXES:
        candidate = candidate.replace(prefix, "")
    for pattern in (r"\b([A-F])\b", r"([A-F])[.):]", r"([A-F])"):
        match = re.search(pattern, candidate)
        if match:
            return match.group(1)
    return None


def _first_character(prediction: str, options: Sequence[str], num_choices: int) -> str | None:
    letter = prediction[:1].upper()
    return letter if letter and letter in LETTERS[: len(options) or num_choices] else None


def reference_temporalbench(prediction: str, options: Sequence[str]) -> str | None:
    """``temporalbench_aggregate_results``: the first character of the output, case-insensitive
    ("The answer is A" reads as "T"; an empty output crashes lmms-eval, here it is no answer)."""
    return _first_character(prediction, options, 2)


def reference_vinoground(prediction: str, options: Sequence[str]) -> str | None:
    """``vinoground_aggregate_results``: ``pred[0].lower() == GT.lower()`` (an empty output crashes
    lmms-eval, here it is no answer)."""
    return _first_character(prediction, options, 2)


def reference_videohallucer(prediction: str, gold: str) -> str | None:
    """VideoHallucer (``evaluations/evaluation_utils.py``; not in lmms-eval): a question is right when
    its gold word appears anywhere as a word, case-insensitive, so "Yes, no doubt" is right for both
    golds. Returns the gold when it appears, else the other answer when that appears, else ``None``."""
    other = "no" if gold == "yes" else "yes"
    for answer in (gold, other):
        if re.search(r"\b(" + answer + r")\b", prediction or "", re.IGNORECASE):
            return answer
    return None


def _vitatecs_matching_form(sentence: str) -> str:
    """``process_option_for_matching``."""
    return (sentence[:-1] if sentence.endswith(".") else sentence).lower()


def reference_vitatecs(prediction: str, options: Sequence[str]) -> str | None:
    """``vitatecs_process_results``: one option's text (not the other's) in the lower-cased output, else
    "A"/"B" exactly, else starting with "A."/"A)"/"(A)"; anything else goes to the GPT judge."""
    if len(options) != 2:
        raise ValueError(
            f"ViTaTeCS questions have two options (caption and counterfactual), got {len(options)}"
        )
    a, b = (_vitatecs_matching_form(o) for o in options)
    lowered = prediction.lower()
    if a in lowered and b not in lowered:
        return "A"
    if b in lowered and a not in lowered:
        return "B"
    if prediction in ("A", "B"):
        return prediction
    for letter in "AB":
        if prediction.startswith((letter + ".", letter + ")", f"({letter})")):
            return letter
    return None


# ----------------------------------------------------------------------------------------------------
# Benchmarks
# ----------------------------------------------------------------------------------------------------


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


BENCHMARKS: dict[str, BenchmarkRule] = {
    rule.name: rule
    for rule in (
        BenchmarkRule("generic", "choice", 5, None),
        BenchmarkRule("tempcompass_multi_choice", "choice", 4, reference_tempcompass_multi_choice,
                      source="tempcompass/utils.py::tempcompass_process_results_multi_choice"),
        BenchmarkRule("tempcompass_yes_no", "yes_no", 2, reference_tempcompass_yes_no,
                      source="tempcompass/utils.py::extract_pred"),
        BenchmarkRule("tempcompass_caption_matching", "choice", 4, reference_tempcompass_caption_matching,
                      reference_needs_options=True, source="tempcompass/utils.py::eval_rule"),
        BenchmarkRule("mvbench", "choice", 5, reference_mvbench, reference_drops_empty=True,
                      source="mvbench/utils.py::mcq_acc, mvbench_aggregate_results"),
        BenchmarkRule("videomme", "choice", 4, reference_videomme,
                      source="_task_utils/mcq_extract.py::extract_mcq_answer"),
        BenchmarkRule("videomme_number_option", "choice", 4, reference_videomme_number_option, numbered=True,
                      source="videomme/number_option/utils.py::extract_number_answer"),
        BenchmarkRule("tvbench", "choice", 4, reference_tvbench, reference_needs_options=True,
                      source="tvbench/utils.py::_extract_choice_letter"),
        BenchmarkRule("tomato", "choice", 6, reference_tomato, reference_needs_options=True,
                      source="tomato/utils.py::parse_multi_choice_response"),
        BenchmarkRule("perceptiontest", "choice", 3, reference_perceptiontest,
                      source="perceptiontest/val/utils.py::perceptiontest_val_process_results_mc"),
        BenchmarkRule("nextqa", "choice", 5, reference_nextqa, reference_needs_options=True,
                      source="nextqa/utils.py::parse_multi_choice_response"),
        BenchmarkRule("egoschema", "choice", 5, reference_egoschema, reference_needs_options=True,
                      source="egoschema/utils.py::parse_multi_choice_response"),
        BenchmarkRule("longvideobench", "choice", 5, reference_longvideobench, reference_digits=5,
                      source="longvideobench/utils.py::parse_multi_choice_response"),
        BenchmarkRule("motionbench", "choice", 6, reference_motionbench,
                      source="motionbench/utils.py::_extract_choice_letter"),
        BenchmarkRule("temporalbench", "choice", 2, reference_temporalbench,
                      source="temporalbench/utils.py::temporalbench_aggregate_results"),
        BenchmarkRule("vitatecs", "choice", 2, reference_vitatecs, reference_needs_options=True,
                      source="vitatecs/utils.py::vitatecs_process_results"),
    )
}  # fmt: skip


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


def _numbered_lines(lines: Sequence[str]) -> bool:
    """Caption-matching lines labelled "Option 1", "Option 2", ... rather than with letters."""
    return all(line.split(": ")[0].split()[-1].isdigit() for line in lines)


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
        if benchmark == "tempcompass_caption_matching" and options:
            lines = caption_matching_lines(options)
            options = [line.split(": ", 1)[1] for line in lines]
            shown_numbered = numbered or _numbered_lines(lines)
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
