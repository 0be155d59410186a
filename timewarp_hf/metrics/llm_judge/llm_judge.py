"""``llm_judge``: the original TimeWarp / LLaVA-Hound "official zero-shot QA" protocol.

An LLM judge (any OpenAI-compatible endpoint, through :class:`timewarp_hf.generation.OpenAIBackend`) compares
each free-form prediction with the gold answer and replies with a verdict and a 0-5 score; accuracy is the
share of "yes" verdicts and ``score`` the mean score, as in the original ``eval_official_qa.py``
(predictions are cut to 256 words first). Optional: it needs an endpoint and usually an API key (read from
the environment by the backend, never stored), so nothing else in the package depends on it. The prompt is
our own wording of the protocol; replies are parsed tolerantly, and unreadable ones are counted, not guessed.
"""

from __future__ import annotations

import ast
import json
import re

import evaluate

from timewarp_hf.constants import CITATION
from timewarp_hf.metrics._inputs import InputColumnsMixin, metric_info

_DESCRIPTION = __doc__
_CITATION = CITATION
_KWARGS_DESCRIPTION = """
Args:
    predictions: the model's free-form answers.
    references: the gold answers (text).
    questions: the questions asked.
    categories: optional category per question.
Returns:
    accuracy: share of predictions the judge called correct (0-1), over the readable verdicts.
    score: mean judge score (0-5).
    per_category: accuracy per category.
    verdicts: per prediction {"pred": "yes"|"no"|None, "score": float|None}.
    unparsed_rate: share of judge replies that could not be read.
"""

SYSTEM_PROMPT = (
    "You evaluate whether answers to questions about videos are correct. Compare the predicted answer "
    "with the correct answer and judge whether they mean the same thing: focus on meaning, accept "
    "synonyms and paraphrases, and do not reward extra detail that contradicts the correct answer."
)
USER_PROMPT = (
    "Question: {question}\nCorrect answer: {reference}\nPredicted answer: {prediction}\n\n"
    "Reply only with a Python dictionary such as {{'pred': 'yes', 'score': 4}}: 'pred' is 'yes' if the "
    "prediction is correct and 'no' otherwise, 'score' an integer from 0 (wrong) to 5 (fully correct)."
)
MAX_WORDS = 256


def parse_verdict(text: str) -> dict:
    """``{"pred": "yes"|"no"|None, "score": float|None}`` from the judge's reply."""
    match = re.search(r"\{.*?\}", text or "", re.S)
    if match:
        for loader in (json.loads, ast.literal_eval):
            try:
                value = loader(match.group())
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, dict):
                pred = str(value.get("pred", "")).strip().lower()
                try:
                    score = float(value.get("score"))
                except (TypeError, ValueError):
                    score = None
                return {
                    "pred": pred if pred in ("yes", "no") else None,
                    "score": score if score is not None and 0 <= score <= 5 else None,
                }
    pred = re.search(r"\b(yes|no)\b", text or "", re.I)
    score = re.search(r"score\D{0,5}([0-5](?:\.\d+)?)", text or "", re.I)
    return {
        "pred": pred.group(1).lower() if pred else None,
        "score": float(score.group(1)) if score else None,
    }


class LLMJudge(InputColumnsMixin, evaluate.Metric):
    """Args: ``judge``: an ``openai:<model>`` spec or a :class:`~timewarp_hf.generation.GenerationBackend`;
    ``api_base``, ``api_key_env``, ``max_concurrency``: for an ``openai:`` spec; ``max_tokens``: judge reply
    length."""

    optional_columns = {"categories": ""}

    def __init__(
        self,
        judge="openai:gpt-3.5-turbo-0125",
        api_base: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_tokens: int = 64,
        max_concurrency: int = 4,
        **kwargs,
    ):
        self.judge, self.api_base, self.api_key_env = judge, api_base, api_key_env
        self.max_tokens, self.max_concurrency = max_tokens, max_concurrency
        super().__init__(**kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            _DESCRIPTION,
            _CITATION,
            _KWARGS_DESCRIPTION,
            {"predictions": "text", "references": "text", "questions": "text", "categories": "text"},
        )

    def _backend(self):
        from timewarp_hf.generation import GenerationBackend, load_backend

        if isinstance(self.judge, GenerationBackend):
            return self.judge
        if not str(self.judge).startswith("openai:"):
            raise ValueError(f"judge must be 'openai:<model>' or a GenerationBackend, got {self.judge!r}")
        return load_backend(
            self.judge,
            base_url=self.api_base,
            api_key_env=self.api_key_env,
            max_tokens=self.max_tokens,
            max_concurrency=self.max_concurrency,
            temperature=0.0,
            progress=False,
        )

    def _compute(self, predictions, references, questions, categories):
        from timewarp_hf.generation import GenerationRequest

        requests = []
        for prediction, reference, question in zip(predictions, references, questions):
            prediction = " ".join((prediction or "").split()[:MAX_WORDS])
            requests.append(
                GenerationRequest(
                    [
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {
                            "role": "user",
                            "content": USER_PROMPT.format(
                                question=question, reference=reference, prediction=prediction
                            ),
                        },
                    ]
                )
            )
        verdicts = [parse_verdict(text) for text in self._backend().generate(requests)] if requests else []
        readable = [v for v in verdicts if v["pred"] is not None]
        scores = [v["score"] for v in verdicts if v["score"] is not None]
        per_category: dict[str, list[bool]] = {}
        for verdict, category in zip(verdicts, categories):
            if category and verdict["pred"] is not None:
                per_category.setdefault(category, []).append(verdict["pred"] == "yes")
        return {
            "accuracy": sum(v["pred"] == "yes" for v in readable) / len(readable) if readable else 0.0,
            "score": sum(scores) / len(scores) if scores else 0.0,
            "per_category": {c: sum(v) / len(v) for c, v in sorted(per_category.items())},
            "verdicts": verdicts,
            "unparsed_rate": 1 - len(readable) / len(verdicts) if verdicts else 0.0,
        }
