"""The optional LLM-judge metric, against a local OpenAI-compatible server that plays the judge."""

import pytest

from timewarp_hf.metrics import load_metric
from timewarp_hf.metrics.llm_judge.llm_judge import parse_verdict

from .servers import ScriptedServer


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("{'pred': 'yes', 'score': 4}", {"pred": "yes", "score": 4.0}),
        ('Sure: {"pred": "no", "score": 1}', {"pred": "no", "score": 1.0}),
        ("No. Score: 2", {"pred": "no", "score": 2.0}),
        ("{'pred': 'maybe', 'score': 9}", {"pred": None, "score": None}),
        ("I cannot judge this.", {"pred": None, "score": None}),
    ],
)
def test_verdicts_are_read_tolerantly(reply, expected):
    assert parse_verdict(reply) == expected


def test_judge_protocol_through_a_local_server(monkeypatch):
    monkeypatch.setenv("TW_JUDGE_KEY", "sk-judge")
    replies = [
        {"content": "{'pred': 'yes', 'score': 5}"},
        {"content": "{'pred': 'no', 'score': 1}"},
        {"content": "garbled"},
    ]
    with ScriptedServer(replies) as server:
        metric = load_metric(
            "llm_judge",
            judge="openai:judge-model",
            api_base=server.url,
            api_key_env="TW_JUDGE_KEY",
            max_concurrency=1,
        )
        long_prediction = " ".join(["word"] * 400)
        result = metric.compute(
            predictions=["The cup falls first.", "It rises.", long_prediction],
            references=["The cup falls first."] * 3,
            questions=["What happens first?"] * 3,
            categories=["order", "order", "speed"],
        )
    assert result["accuracy"] == 0.5 and result["score"] == 3.0
    assert result["unparsed_rate"] == pytest.approx(1 / 3)
    assert result["per_category"] == {"order": 0.5}
    sent = [r["body"]["messages"] for r in server.requests]
    assert sent[0][0]["role"] == "system" and "Correct answer: The cup falls first." in sent[0][1]["content"]
    assert sent[2][1]["content"].count("word") == 256  # predictions cut to 256 words, as the original
    assert all(r["auth"] == "Bearer sk-judge" for r in server.requests)


def test_judge_spec_is_checked():
    metric = load_metric("llm_judge", judge="gpt-4o")
    with pytest.raises(ValueError, match="judge must be 'openai:<model>'"):
        metric.compute(predictions=["a"], references=["b"], questions=["q"])
