"""Synthetic multiple-choice model outputs, each with the lmms-eval document of the same question.

:func:`make_rows` writes ``n`` questions of a benchmark whose "model outputs" take the forms real models
produce (bare letters, "(B)", "The answer is B", option text, the article "A", lowercase, several letters,
reasoning blocks, empty output, ...), and for each the document lmms-eval's task code reads, so that one
row can be scored by ``timewarp_hf.metrics`` (:func:`temporal_mcq_inputs`, :func:`vinoground_inputs`) and
by lmms-eval's own functions (:mod:`timewarp_hf.testing.lmms_eval_reference`). The agreement tests and
``scripts/bench_metrics.py`` (scoring speed) both read them; only the standard library is needed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from timewarp_hf.metrics.extraction import LETTERS

__all__ = [
    "Row",
    "make_rows",
    "make_vinoground_rows",
    "temporal_mcq_inputs",
    "verdicts_of",
    "vinoground_inputs",
]

OPTION_POOL = [
    "walking slowly", "running", "turning left", "turning right", "a man opens the door",
    "the car drives away", "The woman sits down", "jumping twice", "3", "5", "clockwise",
    "counter-clockwise", "faster", "slower", "the ball rolls off the table", "A dog chases a cat",
    "picking up the cup", "putting down the cup", "moving up", "moving down",
    "Person A hands the ball to person B", "Person B hands the ball to person A", "nothing happens",
    "zooming in", "zooming out", "before the door opens", "after the door opens",
]  # fmt: skip

CHOICE_TEMPLATES = [
    "{L}", "({L})", "{L}.", "{L})", "{L}) {T}", "{L}. {T}", "({L}) {T}", "{l}", "{l})", " {L} ", "{L}\n",
    "The answer is {L}.", "The answer is ({L}).", "The correct answer is {L}: {T}", "Answer: {L}",
    "Best option: ({L})", "I think the answer is {L}.", "{T}", "{T}.", "{Tcap}", "It is {T}.",
    "The person is {T} in the video.", "A man is {T}.", "a person is {T}", "Based on the video, {L}.",
    "{L} or {M}", "{M}. No, {L}.", "({M}) is wrong; the answer is ({L}).", "Option {N}", "{N}", "**{L}**",
    "<think>Maybe {M}.</think>{L}", "<think>It could be {M}, but looking again it is {L}.</think>{L}",
    "<think>It could be {M}, but it is {L}.</think>\n\n{L}", "Looking at the frames... {M}?</think>{L}",
    "<think>The video shows {T}, so {L}.", "<analysis>{M} or {L}</analysis> {L}", "<THINK>{M}</THINK>{L}",
    "<think>{M}</think><think>{M} again</think>{L}", "</think>{L}", "  {L}  ", "\n{L}\n", "\t({L})\n",
    "  The answer is {L}.  ", "", "None of the above.", "I cannot tell from the video.", "Yes",
    "{L}\n\nExplanation: the video shows {T}.", "{LINE}", "{LABEL}", "{LABEL}.", "{SHORT}",
]  # fmt: skip

YES_NO_TEMPLATES = [
    "Yes", "No", "yes.", "no, it is not.", "Yes, the man turns left.", "Not sure", "None", "nothing happens",
    "The answer is yes.", "I don't know.", "", "No doubt, yes.", "Yes and no", "YES", "Nope", "no.",
    "Yes, no doubt.", "There is no dog in the video.", "Absolutely.", "The answer is no", "\nno\n", "  yes  ",
    "<think>Is it moving? yes</think>no", "<think>no motion</think>\nYes", "thinking... no</think>yes",
    "<think>unclosed: yes", "<analysis>no</analysis>yes", "  No.",
]  # fmt: skip

CATEGORIES = ["speed", "direction", "order", "action", "attribute_change"]
NUM_OPTIONS = {
    "tempcompass_multi_choice": (3, 4), "tempcompass_caption_matching": (2, 2), "mvbench": (3, 5),
    "videomme": (4, 4), "videomme_number_option": (4, 4), "tvbench": (2, 4), "tomato": (4, 6), "perceptiontest": (3, 3), "nextqa": (5, 5),
    "egoschema": (5, 5), "longvideobench": (4, 5), "motionbench": (4, 6), "temporalbench": (2, 2),
    "vitatecs": (2, 2),
}  # fmt: skip
CAPTION_LABELS = ("Caption {L}", "Sentence {L}", "Option {N}")


@dataclass
class Row:
    """One question: what we score and the lmms-eval doc for the same question."""

    prediction: str
    reference: str
    options: list[str] = field(default_factory=list)
    category: str = ""
    group: str = ""
    doc: dict[str, Any] = field(default_factory=dict)


def _vitatecs_order(caption: str, counterfactual: str) -> bool:
    """Whether lmms-eval's ``format_question_and_answer`` shows the true caption first (it seeds
    Python's RNG with the texts)."""
    return random.Random(sum(ord(c) for c in caption + counterfactual) % 100).random() > 0.5


def _choice_output(
    rng: random.Random,
    options: list[str],
    gold: int,
    labels: list[str],
    allow_empty: bool,
    digits: bool = False,
) -> str:
    """One model output: a random template naming the gold option 60% of the time, another otherwise
    (``digits``: the options were shown as 1, 2, 3..., so labels are digits)."""
    pick = gold if rng.random() < 0.6 else rng.randrange(len(options))
    other = rng.choice([i for i in range(len(options)) if i != pick])
    label = labels[pick]
    template = rng.choice([t for t in CHOICE_TEMPLATES if t or allow_empty])
    shown = [str(k + 1) for k in range(len(options))] if digits else list(LETTERS)
    return template.format(
        L=shown[pick], l=shown[pick].lower(), M=shown[other], N=pick + 1,
        T=options[pick], Tcap=options[pick].capitalize(), LINE=f"{label}: {options[pick]}", LABEL=label,
        SHORT=label.split()[-1],
    )  # fmt: skip


def make_rows(benchmark: str, n: int, seed: int = 0) -> list[Row]:
    """``n`` questions of ``benchmark`` with synthetic outputs and the matching lmms-eval docs."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        category = rng.choice(CATEGORIES)
        if benchmark == "tempcompass_yes_no":
            gold = rng.choice(["yes", "no"])
            doc = {"video_id": str(i), "question": "Is the man walking?", "answer": gold, "dim": category}
            rows.append(Row(rng.choice(YES_NO_TEMPLATES), gold, [], category, doc=doc))
            continue
        low, high = NUM_OPTIONS[benchmark]
        texts = rng.sample(OPTION_POOL, rng.randint(low, high))
        gold = rng.randrange(len(texts))
        if benchmark == "vitatecs":
            # lmms-eval stores a caption and a counterfactual and orders them by a seed drawn from the texts.
            caption, counterfactual = (t.lower() for t in texts)
            caption_first = _vitatecs_order(caption, counterfactual)
            texts = [
                (t + ".").capitalize()
                for t in ((caption, counterfactual) if caption_first else (counterfactual, caption))
            ]
            gold = 0 if caption_first else 1
        labels = [f"Option {LETTERS[k]}" for k in range(len(texts))]
        options = list(texts)
        if benchmark == "tempcompass_caption_matching":
            form = rng.choice(CAPTION_LABELS)
            labels = [form.format(L=LETTERS[k], N=k + 1) for k in range(len(texts))]
            options = [f"{label}: {text}" for label, text in zip(labels, texts, strict=True)]
        allow_empty = benchmark not in ("temporalbench", "vinoground")  # lmms-eval crashes on ""
        digits = benchmark == "videomme_number_option"
        if digits and rng.random() < 0.3:  # a model that ignores the numbers answers with letters
            digits = False
        prediction = _choice_output(rng, texts, gold, labels, allow_empty, digits)
        letter = LETTERS[gold]
        doc = _lmms_doc(benchmark, i, texts, options, gold, category)
        rows.append(Row(prediction, letter, options, category, group=f"video{i // 3}", doc=doc))
    return rows


def _lmms_doc(benchmark: str, i: int, texts: list[str], options: list[str], gold: int, category: str) -> dict:
    letter = LETTERS[gold]
    listed = "\n".join(f"{LETTERS[k]}. {t}" for k, t in enumerate(texts))
    if benchmark == "tempcompass_multi_choice":
        return {
            "video_id": str(i),
            "question": f"What happens?\n{listed}",
            "answer": f"{letter}. {texts[gold]}",
            "dim": category,
        }
    if benchmark == "tempcompass_caption_matching":
        return {
            "video_id": str(i),
            "question": "Which caption matches the video?\n" + "\n".join(options),
            "answer": options[gold],
            "dim": category,
        }
    if benchmark in ("mvbench", "tvbench"):
        return {"candidates": texts, "answer": texts[gold] if benchmark == "mvbench" else letter}
    if benchmark.startswith("videomme"):
        doc = {"question_id": str(i), "videoID": str(i), "duration": "short", "domain": "Knowledge"}
        doc.update(sub_category="Astronomy", task_type="Temporal Perception", answer=letter)
        if benchmark == "videomme_number_option":  # after the task's process_docs: "1. text", answer "2"
            doc.update(options=[f"{k + 1}. {t}" for k, t in enumerate(texts)], answer=str(gold + 1))
        return doc
    if benchmark == "tomato":
        return {
            "question": "What happens?",
            "options": texts,
            "answer": gold,
            "reason_type": category,
            "demonstration_type": "human",
            "id": str(i),
        }
    if benchmark == "perceptiontest":
        return {"video_name": str(i), "question": "What happens?", "answer_id": gold}
    if benchmark == "nextqa":
        return {**{f"a{k}": t for k, t in enumerate(texts)}, "answer": gold}
    if benchmark == "egoschema":
        return {
            "option": [f"{LETTERS[k]}. {t}" for k, t in enumerate(texts)],
            "answer": gold,
            "video_idx": str(i),
        }
    if benchmark == "longvideobench":
        padded = texts + ["N/A"] * (5 - len(texts))
        return {
            **{f"option{k}": t for k, t in enumerate(padded)},
            "correct_choice": gold,
            "id": str(i),
            "duration_group": 15,
            "question_category": category,
        }
    if benchmark == "motionbench":
        return {"answer": letter, "question_type": category}
    if benchmark == "temporalbench":
        return {"idx": i, "GT": letter, "video_name": f"video{i // 3}", "dataset": "d", "category": ""}
    if benchmark == "vitatecs":
        caption, counterfactual = (texts[gold][:-1].lower(), texts[1 - gold][:-1].lower())
        return {
            "caption": caption,
            "counterfactual": counterfactual,
            "src_dataset": "d",
            "video_name": str(i),
            "aspect": category,
        }
    raise ValueError(benchmark)


def make_vinoground_rows(num_pairs: int = 500, seed: int = 0) -> list[Row]:
    """Four questions per counterfactual pair (text/video x pos/neg); lmms-eval needs exactly 500 pairs."""
    rng = random.Random(seed)
    rows = []
    for pair in range(num_pairs):
        category = rng.choice(CATEGORIES)
        for kind in ("text", "video"):
            for polarity in ("pos", "neg"):
                gold = rng.randrange(2)
                texts = rng.sample(OPTION_POOL, 2)
                prediction = _choice_output(rng, texts, gold, ["Option A", "Option B"], allow_empty=False)
                doc = {"index": f"{pair}_{polarity}_{kind}", "major": category, "minor": None}
                rows.append(Row(prediction, LETTERS[gold], texts, category, group=kind, doc=doc))
    return rows


def temporal_mcq_inputs(rows: list[Row]) -> dict[str, list]:
    """``temporal_mcq``'s inputs for ``rows``."""
    return {
        "predictions": [row.prediction for row in rows],
        "references": [row.reference for row in rows],
        "options": [row.options for row in rows],
        "categories": [row.category for row in rows],
        "groups": [row.group for row in rows],
    }


def vinoground_inputs(rows: list[Row]) -> dict[str, list]:
    """``vinoground``'s inputs for ``rows``."""
    return {
        "predictions": [row.prediction for row in rows],
        "references": [row.reference for row in rows],
        "pair_ids": [row.doc["index"].split("_")[0] for row in rows],
        "question_types": [row.group for row in rows],
        "categories": [row.category for row in rows],
        "options": [row.options for row in rows],
    }


def verdicts_of(result: dict, rows: list[Row]) -> list[bool]:
    """Per row, whether the answer a metric read (``result["extracted"]``) is the reference."""
    return [answer == row.reference for answer, row in zip(result["extracted"], rows, strict=True)]
