"""temporal_mcq: accuracy of free-text answers to temporal multiple-choice and yes/no questions.

Loads offline with ``evaluate.load(timewarp_hf.metrics.metric_path("temporal_mcq"))`` (evaluate copies
this file into its module cache and imports it there; the answer extraction it calls lives in the
installed package, ``timewarp_hf.metrics.extraction``, so the cached copy never runs stale rules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import evaluate

from timewarp_hf.metrics._inputs import InputColumnsMixin, metric_info
from timewarp_hf.metrics.extraction import BENCHMARKS, LETTERS, answer_reader, get_rule, lmms_eval_response

_CITATION = """\
@article{timewarp2025,
  title   = {TimeWarp: Synthetic Preference Data for Temporal Understanding of Video-LLMs},
  journal = {arXiv preprint arXiv:2510.03955},
  year    = {2025}
}
@misc{lmms_eval2024,
  title  = {LMMs-Eval: Accelerating the Development of Large Multimodal Models},
  author = {Zhang, Kaichen and Li, Bo and others},
  url    = {https://github.com/EvolvingLMMs-Lab/lmms-eval},
  year   = {2024}
}
"""

_DESCRIPTION = f"""\
Reads which option (or yes/no) each free-text answer of a Video-LLM names, and scores it against the
gold letter: accuracy overall, per category (TempCompass dimension, MVBench subtask, Video-MME task type,
...), and per group of questions that must all be right (TemporalBench's multiple binary accuracy).
The letter read from every prediction is returned, so each verdict can be audited.

Benchmarks (``benchmark=``): {", ".join(BENCHMARKS)}.

``mode="corrected"`` (default) reads every benchmark with one extractor: bare letters, "(B)", "B.",
"B) text", "The answer is B", numbered options ("Option 2"), lowercase letters where they cannot be words,
option text without a letter. It never takes the article "A" or a capital inside a word for an option,
never guesses, and counts every question, empty outputs included. ``strict=True`` also refuses outputs
that name several options.

``mode="reference"`` reproduces lmms-eval 0.7.3's scoring end to end, flaws included, so numbers
compare with lmms-eval's (scaled to 0-1 where lmms-eval reports percentages): each response is first
pre-processed as lmms-eval's evaluator does (its default reasoning tags, ``<think>``/``<analysis>``
blocks, cut out; with only a closing tag the text after it kept; then stripped), and only then read by
the benchmark's rule. Where the rules differ from a careful reading:
- tempcompass_multi_choice: only "X", "X." or "X)" at the start counts; the rest goes to a GPT judge in
  lmms-eval, which scores 0 without an API key, as here.
- tempcompass_yes_no: any output starting with "no" ("not sure", "none") reads as no.
- tempcompass_caption_matching: the output must equal an option line, sentence or label exactly.
- mvbench: the first lone letter a-e anywhere, so "a man runs" is A; empty outputs leave the denominator.
- videomme: "A man..." reads as A, and a capital A-D inside any word ("Based") is the fallback.
- videomme_number_option (options shown as 1-4): "N." at the start, else the first lone digit 1-4.
- tvbench: only the first lone capital is tried ("I think B" fails), and the article "A" is option A.
- tomato: a choice letter anywhere, even inside a word ("Answer" is A); "A" when nothing is found.
- perceptiontest: the first lone capital A-D, the article "A" included.
- nextqa, egoschema: "X " anywhere ("A man" is A); egoschema keeps the earliest candidate. Both, and
  longvideobench, draw a random letter when nothing matches: here that is no answer (scored wrong).
- longvideobench: the first capital A-E anywhere ("Based" is B); the score rounded to 5 decimals.
- motionbench: upper-cases the output first, so the article "a" is option A.
- temporalbench: the first character only ("The answer is A" reads as T).
- vitatecs: option text, then "A"/"B" exactly or at the start; the rest goes to the GPT judge (0 here).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): raw model outputs.
    references (`list` of `str`): gold answers: option letters ("A" is the first option), or "yes"/"no"
        for tempcompass_yes_no.
    options (`list` of `list` of `str`, optional): each question's option texts in display order. Needed
        to read answers given as option text, and by the reference rules of tempcompass_caption_matching
        (lines such as "Caption A: ..." or bare texts), tvbench, tomato, nextqa, egoschema and vitatecs.
    categories (`list` of `str`, optional): each question's category, for `per_category`.
    groups (`list` of `str`, optional): ids of question groups that count only when all are right.
Returns:
    accuracy (`float`): fraction answered right, in [0, 1].
    per_category (`dict`): category -> accuracy (empty when no categories are given).
    extracted (`list`): the letter or "yes"/"no" read from each prediction, `None` when none.
    unparsed_rate (`float`): fraction of predictions from which nothing could be read.
    group_accuracy (`float`): fraction of groups with every question right (only when groups are given).
Examples:
    >>> from timewarp_hf.metrics import load_metric
    >>> metric = load_metric("temporal_mcq", benchmark="mvbench")
    >>> result = metric.compute(
    ...     predictions=["(B) left", "a man turns left"],
    ...     references=["B", "A"],
    ...     options=[["right", "left"], ["right", "left"]],
    ... )
    >>> result["accuracy"], result["extracted"]
    (0.5, ['B', 'B'])
"""


class TemporalMCQ(InputColumnsMixin, evaluate.Metric):
    """Accuracy of free-text answers to multiple-choice and yes/no video questions.

    Args:
        benchmark: Which benchmark's answer rules to apply (``evaluate.load``'s ``config_name`` names it
            too); ``"generic"`` (default) for any other MCQ data.
        mode: ``"corrected"`` (default) or ``"reference"`` (lmms-eval's rule, flaws included).
        strict: Corrected mode: outputs naming several options count as unanswered.
        numbered: Corrected mode: the options were shown as 1, 2, 3... instead of A, B, C.
        **kwargs: ``evaluate.EvaluationModule`` arguments (``keep_in_memory``, ``cache_dir``, ...).
    """

    optional_columns = {"options": [], "categories": "", "groups": ""}
    id_columns = ("categories", "groups")

    def __init__(
        self,
        benchmark: str | None = None,
        mode: str = "corrected",
        strict: bool = False,
        numbered: bool = False,
        config_name: str | None = None,
        **kwargs,
    ):
        if benchmark and config_name and benchmark != config_name:
            raise ValueError(f"benchmark={benchmark!r} and config_name={config_name!r} disagree; give one")
        self.benchmark = benchmark or config_name or "generic"
        self.rule = get_rule(self.benchmark, mode, strict)
        self.mode, self.strict, self.numbered = mode, strict, numbered
        super().__init__(config_name=self.benchmark, **kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            _DESCRIPTION,
            _CITATION,
            _KWARGS_DESCRIPTION,
            {
                "predictions": "text",
                "references": "text",
                "options": "texts",
                "categories": "text",
                "groups": "text",
            },
            [
                "https://arxiv.org/abs/2510.03955",
                "https://github.com/EvolvingLMMs-Lab/lmms-eval",
            ],
        )

    def _gold(self, index: int, reference: str | None, options: Sequence[str]) -> str:
        """The normalized gold answer, or a ValueError that names the row and the accepted values."""
        answer = (reference or "").strip()
        if self.rule.answer_type == "yes_no":
            if answer.lower() not in ("yes", "no"):
                raise ValueError(
                    f"references[{index}] = {reference!r}; {self.benchmark} references are 'yes' or 'no'"
                )
            return answer.lower()
        valid = LETTERS[: len(options) or self.rule.num_choices]
        if len(answer) != 1 or answer.upper() not in valid:
            raise ValueError(
                f"references[{index}] = {reference!r}; references are option letters, here one of "
                f"{', '.join(valid)}" + ("" if options else " (pass options when there are more)")
            )
        return answer.upper()

    def _compute(self, predictions, references, options, categories, groups) -> dict:
        if not predictions:
            raise ValueError("no predictions to score")
        golds = [
            self._gold(i, ref, opts) for i, (ref, opts) in enumerate(zip(references, options, strict=True))
        ]
        read = answer_reader(self.benchmark, self.mode, self.strict, self.numbered)
        extracted = [read(pred, opts) for pred, opts in zip(predictions, options, strict=True)]
        correct = [
            answer is not None and answer == gold for answer, gold in zip(extracted, golds, strict=True)
        ]
        # lmms-eval's MVBench aggregation leaves empty outputs out of the denominator.
        drops_empty = self.mode == "reference" and self.rule.reference_drops_empty
        counted = [not (drops_empty and not lmms_eval_response(pred)) for pred in predictions]

        by_category: dict[str, list[int]] = defaultdict(list)
        by_group: dict[str, list[int]] = defaultdict(list)
        for i, (category, group) in enumerate(zip(categories, groups, strict=True)):
            if category:
                by_category[category].append(i)
            if group:
                by_group[group].append(i)

        digits = self.rule.reference_digits if self.mode == "reference" else None

        def accuracy(rows: Sequence[int]) -> float:
            scored = [i for i in rows if counted[i]]
            value = sum(correct[i] for i in scored) / len(scored) if scored else 0.0
            return value if digits is None else round(value, digits)  # as lmms-eval reports it

        result = {
            "accuracy": accuracy(range(len(predictions))),
            "per_category": {name: accuracy(rows) for name, rows in sorted(by_category.items())},
            "extracted": extracted,
            "unparsed_rate": sum(answer is None for answer in extracted) / len(extracted),
        }
        if by_group:
            result["group_accuracy"] = sum(all(correct[i] for i in rows) for rows in by_group.values()) / len(
                by_group
            )
        return result
