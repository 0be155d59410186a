"""vinoground: Vinoground's text, video and group scores for counterfactual video-caption pairs.

Loads offline with ``evaluate.load(timewarp_hf.metrics.metric_path("vinoground"))``.
"""

from __future__ import annotations

from collections import defaultdict

import evaluate

from timewarp_hf.metrics._inputs import InputColumnsMixin, metric_info
from timewarp_hf.metrics.extraction import (
    check_mode,
    extract_choice,
    lmms_eval_response,
    reference_vinoground,
)

_CITATION = """\
@article{zhang2024vinoground,
  title   = {Vinoground: Scrutinizing LMMs over Dense Temporal Reasoning with Short Videos},
  author  = {Zhang, Jianrui and Cai, Mu and Lee, Yong Jae},
  journal = {arXiv preprint arXiv:2410.02763},
  year    = {2024}
}
"""

_DESCRIPTION = """\
Vinoground pairs a video and a caption with a counterfactual video and caption that differ only in the
order of events. Each pair is asked four questions: two *text* questions (one video, which of the two
captions fits: asked for the positive and for the negative video) and two *video* questions (one caption,
which of the two clips fits). A pair's text score is 1 when both text questions are right, its video
score when both video questions are right, and its group score when all four are; the reported scores
are their means over pairs, overall and per category (a pair's major and minor categories).

``mode="reference"`` reads an answer as lmms-eval 0.7.3 does: its evaluator's pre-processing (reasoning
blocks cut out, stripped), then ``vinoground/utils.py``'s rule, the first character of the output, case-insensitive, so "The answer is A" reads as "T"; an empty output, which
crashes lmms-eval, is wrong here. lmms-eval also needs all 500 pairs (its score matrix is hard-coded);
both modes here score whichever complete pairs are given. ``mode="corrected"`` (default) reads the letter
with the shared extractor (``timewarp_hf.metrics.extraction.extract_choice``); ``strict=True`` refuses
outputs that name both options.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): raw model outputs.
    references (`list` of `str`): gold letters, "A" or "B".
    pair_ids (`list` of `str` or `int`): the counterfactual pair each question belongs to.
    question_types (`list` of `str`): "text" or "video". Every pair needs either none or two questions
        of each type (its positive and its negative).
    categories (`list` of `str`, optional): the pair's categories, ";"-separated (major;minor;...).
    options (`list` of `list` of `str`, optional): the two option texts, to read answers given as text.
Returns:
    text_score, video_score, group_score (`float` or `None`): in [0, 1]; `None` when no pair has the
        questions that score needs.
    per_category (`dict`): category -> {"text_score", "video_score", "group_score"}.
    extracted (`list`): the letter read from each prediction, `None` when none.
    unparsed_rate (`float`): fraction of predictions from which nothing could be read.
Examples:
    >>> from timewarp_hf.metrics import load_metric
    >>> metric = load_metric("vinoground")
    >>> result = metric.compute(
    ...     predictions=["A", "B", "A", "A"],
    ...     references=["A", "B", "A", "B"],
    ...     pair_ids=[0, 0, 0, 0],
    ...     question_types=["text", "text", "video", "video"],
    ... )
    >>> result["text_score"], result["video_score"], result["group_score"]
    (1.0, 0.0, 0.0)
"""

_TYPES = ("text", "video")


class Vinoground(InputColumnsMixin, evaluate.Metric):
    """Vinoground's text, video and group scores.

    Args:
        mode: ``"corrected"`` (default) or ``"reference"`` (lmms-eval's first-character rule).
        strict: Corrected mode: outputs naming both options count as unanswered.
        **kwargs: ``evaluate.EvaluationModule`` arguments (``keep_in_memory``, ``cache_dir``, ...).
    """

    optional_columns = {"categories": "", "options": []}
    id_columns = ("pair_ids", "categories")

    def __init__(self, mode: str = "corrected", strict: bool = False, **kwargs):
        check_mode(mode, strict, "lmms-eval")
        self.mode, self.strict = mode, strict
        super().__init__(**kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            _DESCRIPTION,
            _CITATION,
            _KWARGS_DESCRIPTION,
            {
                "predictions": "text",
                "references": "text",
                "pair_ids": "text",
                "question_types": "text",
                "categories": "text",
                "options": "texts",
            },
            [
                "https://arxiv.org/abs/2410.02763",
                "https://github.com/EvolvingLMMs-Lab/lmms-eval",
            ],
        )

    def _extract(self, prediction: str | None, options: list[str]) -> str | None:
        if self.mode == "reference":
            return reference_vinoground(lmms_eval_response(prediction), options)
        return extract_choice(prediction, options, num_choices=2, strict=self.strict)

    def _compute(self, predictions, references, pair_ids, question_types, categories, options) -> dict:
        if not predictions:
            raise ValueError("no predictions to score")
        # pair -> question type -> correctness of its questions; pair -> its categories.
        pairs: dict[str, dict[str, list[bool]]] = defaultdict(lambda: {kind: [] for kind in _TYPES})
        pair_categories: dict[str, list[str]] = {}
        extracted = []
        for i, (pred, ref, pair, kind, category, opts) in enumerate(
            zip(predictions, references, pair_ids, question_types, categories, options, strict=True)
        ):
            if kind not in _TYPES:
                raise ValueError(f"question_types[{i}] = {kind!r}; accepted: 'text', 'video'")
            gold = (ref or "").strip().upper()
            if gold not in ("A", "B"):
                raise ValueError(f"references[{i}] = {ref!r}; Vinoground references are 'A' or 'B'")
            answer = self._extract(pred, opts)
            extracted.append(answer)
            pairs[pair][kind].append(answer == gold)
            if category and pair not in pair_categories:
                pair_categories[pair] = [c.strip() for c in category.split(";") if c.strip()]
        for pair, kinds in pairs.items():
            for kind, answers in kinds.items():
                if len(answers) not in (0, 2):
                    raise ValueError(
                        f"pair {pair!r} has {len(answers)} {kind} question(s); a Vinoground pair has none or "
                        f"two (positive and negative)"
                    )

        def scores(members: list[str]) -> dict[str, float | None]:
            result = {}
            for kind in _TYPES:
                scored = [all(pairs[p][kind]) for p in members if pairs[p][kind]]
                result[f"{kind}_score"] = sum(scored) / len(scored) if scored else None
            both = [
                all(pairs[p]["text"]) and all(pairs[p]["video"])
                for p in members
                if pairs[p]["text"] and pairs[p]["video"]
            ]
            result["group_score"] = sum(both) / len(both) if both else None
            return result

        by_category: dict[str, list[str]] = defaultdict(list)
        for pair, names in pair_categories.items():
            for name in names:
                by_category[name].append(pair)
        return {
            **scores(list(pairs)),
            "per_category": {name: scores(members) for name, members in sorted(by_category.items())},
            "extracted": extracted,
            "unparsed_rate": sum(answer is None for answer in extracted) / len(extracted),
        }
