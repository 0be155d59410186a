"""temporal_sensitivity: how much a Video-LLM's answers depend on the order of its frames.

The same questions are answered twice, on the clip as it is and on a temporally probed copy (reversed,
shuffled, frozen, a single frame: ``timewarp eval --probe``). A model that reads time loses accuracy
on the probed frames for questions whose answer depends on time, and changes its answer; a model that
answers from appearance alone does neither. Loads offline with
``evaluate.load(timewarp_hf.metrics.metric_path("temporal_sensitivity"))``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import evaluate

from timewarp_hf.metrics._inputs import InputColumnsMixin, metric_info

_CITATION = """\
@article{timewarp2025,
  title   = {TimeWarp: Synthetic Preference Data for Temporal Understanding of Video-LLMs},
  journal = {arXiv preprint arXiv:2510.03955},
  year    = {2025}
}
"""

_DESCRIPTION = """\
Paired scoring of answers given on true and on temporally probed frames of the same questions: accuracy
on each, the drop (true minus probed accuracy: how much the model's right answers rely on the frames'
order) and the flip rate (the share of questions whose answer changes at all, right or wrong). An answer
that could not be read counts as an answer of its own (empty string), so "B" turning into nothing is a
flip. The answers are what a benchmark's rule read from the outputs (temporal_mcq's `extracted`), not
raw text, so a reworded but equal answer is no flip.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): the answer read on the true frames (an option letter, "yes"/"no", or
        "" / None when nothing could be read).
    probed_predictions (`list` of `str`): the answer read on the probed frames, for the same questions.
    references (`list` of `str`): the gold answers.
    categories (`list` of `str`, optional): each question's category, for `per_category`.
Returns:
    accuracy (`float`): accuracy on the true frames, in [0, 1].
    probed_accuracy (`float`): accuracy on the probed frames.
    drop (`float`): accuracy - probed_accuracy (negative when probing helps).
    flip_rate (`float`): share of questions whose answer differs between the two.
    per_category (`dict`): category -> the four numbers above.
Examples:
    >>> from timewarp_hf.metrics import load_metric
    >>> metric = load_metric("temporal_sensitivity")
    >>> result = metric.compute(
    ...     predictions=["A", "B", "A", "B"],
    ...     probed_predictions=["B", "B", "", "B"],
    ...     references=["A", "B", "A", "A"],
    ... )
    >>> result["accuracy"], result["probed_accuracy"], result["drop"], result["flip_rate"]
    (0.75, 0.25, 0.5, 0.5)
"""


def _scores(true: Sequence[str], probed: Sequence[str], golds: Sequence[str]) -> dict[str, float]:
    n = len(golds)
    accuracy = sum(a == g for a, g in zip(true, golds, strict=True)) / n
    probed_accuracy = sum(a == g for a, g in zip(probed, golds, strict=True)) / n
    return {
        "accuracy": accuracy,
        "probed_accuracy": probed_accuracy,
        "drop": accuracy - probed_accuracy,
        "flip_rate": sum(a != b for a, b in zip(true, probed, strict=True)) / n,
    }


class TemporalSensitivity(InputColumnsMixin, evaluate.Metric):
    """Accuracy on true vs probed frames, the drop and the flip rate, from paired answers.

    Args:
        **kwargs: ``evaluate.EvaluationModule`` arguments (``keep_in_memory``, ``cache_dir``, ...).
    """

    optional_columns = {"categories": ""}
    id_columns = ("categories",)

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            _DESCRIPTION,
            _CITATION,
            _KWARGS_DESCRIPTION,
            {"predictions": "text", "probed_predictions": "text", "references": "text", "categories": "text"},
            ["https://arxiv.org/abs/2510.03955"],
        )

    def _compute(self, predictions, probed_predictions, references, categories) -> dict:
        if not predictions:
            raise ValueError("no predictions to score")
        true = [(p or "").strip() for p in predictions]
        probed = [(p or "").strip() for p in probed_predictions]
        golds = [(r or "").strip() for r in references]
        missing = [i for i, g in enumerate(golds) if not g]
        if missing:
            raise ValueError(f"references[{missing[0]}] is empty; every question needs its gold answer")
        by_category: dict[str, list[int]] = defaultdict(list)
        for i, category in enumerate(categories):
            for name in (category or "").split(";"):
                if name:
                    by_category[name].append(i)
        result: dict = _scores(true, probed, golds)
        result["per_category"] = {
            name: _scores([true[i] for i in rows], [probed[i] for i in rows], [golds[i] for i in rows])
            for name, rows in sorted(by_category.items())
        }
        return result
