"""paired_yes_no: pair accuracy for yes/no hallucination questions (VideoHallucer-style).

Loads offline with ``evaluate.load(timewarp_hf.metrics.metric_path("paired_yes_no"))``.
"""

from __future__ import annotations

from collections import defaultdict

import evaluate

from timewarp_hf.metrics._inputs import InputColumnsMixin, metric_info
from timewarp_hf.metrics.extraction import check_mode, extract_yes_no, reference_videohallucer

_CITATION = """\
@article{wang2024videohallucer,
  title   = {VideoHallucer: Evaluating Intrinsic and Extrinsic Hallucinations in Large Video-Language Models},
  author  = {Wang, Yuxuan and Wang, Yueqian and Zhao, Dongyan and Xie, Cihang and Zheng, Zilong},
  journal = {arXiv preprint arXiv:2406.16338},
  year    = {2024}
}
"""

_DESCRIPTION = """\
A model that answers "yes" to everything gets half of all yes/no questions right. Hallucination
benchmarks such as VideoHallucer therefore pair a *basic* question (gold "yes": the event is in the video)
with a *hallucinated* one (gold "no": a plausible event that is not), and count a pair only when both
are answered right. Reported: pair accuracy, per-question accuracy, accuracy on basic and on hallucinated
questions, and the same per category (VideoHallucer's types: object-relation, temporal, semantic, ...).

``mode="reference"`` reads answers as VideoHallucer's ``evaluations/evaluation_utils.py`` does: a
question is right when its gold word appears anywhere as a word, case-insensitive, so "Yes, no doubt" is
right whatever the gold. ``mode="corrected"`` (default) reads one answer per output: the first word when
it is yes or no, else the only one of the two that appears, else nothing; ``strict=True`` also refuses
outputs that contain both after a first word that is neither.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): raw model outputs.
    references (`list` of `str`): gold answers, "yes" or "no".
    pair_ids (`list` of `str` or `int`): the pair each question belongs to (two or more questions each).
    categories (`list` of `str`, optional): each question's category; a pair takes its first question's.
Returns:
    pair_accuracy (`float`): fraction of pairs with every question right, in [0, 1].
    accuracy (`float`): fraction of questions answered right.
    basic_accuracy, hallucinated_accuracy (`float` or `None`): accuracy on questions whose gold is "yes"
        / "no"; `None` when there are none.
    per_category (`dict`): category -> {"pair_accuracy", "basic_accuracy", "hallucinated_accuracy"}.
    extracted (`list`): the "yes"/"no" read from each prediction, `None` when none.
Examples:
    >>> from timewarp_hf.metrics import load_metric
    >>> metric = load_metric("paired_yes_no")
    >>> result = metric.compute(
    ...     predictions=["Yes, he does.", "Yes.", "Yes", "No, he does not."],
    ...     references=["yes", "no", "yes", "no"],
    ...     pair_ids=[1, 1, 2, 2],
    ... )
    >>> result["pair_accuracy"], result["accuracy"]
    (0.5, 0.75)
"""


def _mean(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


class PairedYesNo(InputColumnsMixin, evaluate.Metric):
    """Pair accuracy for yes/no hallucination pairs.

    Args:
        mode: ``"corrected"`` (default) or ``"reference"`` (VideoHallucer's match-anywhere rule).
        strict: Corrected mode: outputs containing both yes and no count as unanswered.
        **kwargs: ``evaluate.EvaluationModule`` arguments (``keep_in_memory``, ``cache_dir``, ...).
    """

    optional_columns = {"categories": ""}
    id_columns = ("pair_ids", "categories")

    def __init__(self, mode: str = "corrected", strict: bool = False, **kwargs):
        check_mode(mode, strict, "VideoHallucer")
        self.mode, self.strict = mode, strict
        super().__init__(**kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            _DESCRIPTION,
            _CITATION,
            _KWARGS_DESCRIPTION,
            {"predictions": "text", "references": "text", "pair_ids": "text", "categories": "text"},
            [
                "https://arxiv.org/abs/2406.16338",
                "https://github.com/patrick-tssn/VideoHallucer",
            ],
        )

    def _compute(self, predictions, references, pair_ids, categories) -> dict:
        if not predictions:
            raise ValueError("no predictions to score")
        golds = []
        for i, ref in enumerate(references):
            gold = (ref or "").strip().lower()
            if gold not in ("yes", "no"):
                raise ValueError(f"references[{i}] = {ref!r}; references are 'yes' or 'no'")
            golds.append(gold)
        if self.mode == "reference":
            extracted = [
                reference_videohallucer(pred, gold) for pred, gold in zip(predictions, golds, strict=True)
            ]
        else:
            extracted = [extract_yes_no(pred, strict=self.strict) for pred in predictions]
        correct = [answer == gold for answer, gold in zip(extracted, golds, strict=True)]

        pairs: dict[str, list[int]] = defaultdict(list)
        pair_category: dict[str, str] = {}
        for i, (pair, category) in enumerate(zip(pair_ids, categories, strict=True)):
            pairs[pair].append(i)
            if category and pair not in pair_category:
                pair_category[pair] = category
        lone = [pair for pair, rows in pairs.items() if len(rows) < 2]
        if lone:
            raise ValueError(
                f"pair {lone[0]!r} has one question; pair accuracy needs both questions of every pair"
            )

        def scores(members: list[str]) -> dict[str, float | None]:
            rows = [i for pair in members for i in pairs[pair]]
            return {
                "pair_accuracy": _mean([all(correct[i] for i in pairs[pair]) for pair in members]),
                "basic_accuracy": _mean([correct[i] for i in rows if golds[i] == "yes"]),
                "hallucinated_accuracy": _mean([correct[i] for i in rows if golds[i] == "no"]),
            }

        by_category: dict[str, list[str]] = defaultdict(list)
        for pair, category in pair_category.items():
            by_category[category].append(pair)
        return {
            **scores(list(pairs)),
            "accuracy": _mean(correct),
            "per_category": {name: scores(members) for name, members in sorted(by_category.items())},
            "extracted": extracted,
        }
