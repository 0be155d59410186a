import pytest

from timewarp_hf.parsing import parse_answer, parse_qa_pairs, qa_format
from timewarp_hf.quality import QualityFilter

CLEAN = """Q1: What happens first?
A1: A door opens.
Q2: What happens after the woman enters?
A2: She pours tea.
Q3: How does the video end?
A3: With the lights going out."""


@pytest.mark.parametrize(
    "text",
    [
        CLEAN,
        CLEAN.replace("Q1:", "**Q1:**").replace("A1:", "**A1:**"),
        CLEAN.replace("Q2:", "Question 2:").replace("A2:", "Answer 2:"),
        CLEAN.replace("Q3:", "Q3.").replace("A3:", "A3)"),
        "Sure! Here are the pairs.\n\n" + CLEAN.replace("\n", "\n\n") + "\n\nHope this helps.",
        CLEAN.replace("A1: A door opens.", "A1:\nA door\nopens."),
    ],
)
def test_qa_parser_tolerates_formatting_drift(text):
    pairs = parse_qa_pairs(text, 3)
    assert pairs is not None and len(pairs) == 3
    assert pairs[0] == ("What happens first?", "A door opens.")
    assert pairs[2][0] == "How does the video end?"
    assert pairs[2][1].startswith("With the lights going out.")


@pytest.mark.parametrize("text", ["", "no structure at all", "Q1: only a question", CLEAN.split("Q3")[0]])
def test_qa_parser_refuses_unreadable_or_short_output(text):
    assert parse_qa_pairs(text, 3) is None


def test_qa_parser_round_trips_its_own_format():
    assert qa_format(2) == "Q1: <question 1>\nA1: <answer 1>\nQ2: <question 2>\nA2: <answer 2>"
    assert len(parse_qa_pairs(qa_format(3), 3)) == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Answer: It rains first.", "It rains first."),
        ("**Answer:** It rains.", "It rains."),
        ("It rains first.", "It rains first."),
        ("answer - late", "late"),
        ("   ", None),
        ("Answer:", None),
    ],
)
def test_answer_parser(text, expected):
    assert parse_answer(text) == expected


def test_quality_filter_reasons():
    f = QualityFilter(max_similarity=0.9)
    assert f.reason("The cat jumps, then sleeps.", "The cat sleeps, then jumps.") is None
    assert f.reason("Same.", "same") == "identical"
    assert f.reason("", "x") == "empty"
    assert f.reason(None, "x") == "unparsable"
    long = "the man walks to the door and then opens it slowly before leaving the room"
    assert f.reason(long, long + " quietly") == "near_identical"
    assert QualityFilter(max_similarity=1.0).reason(long, long + " quietly") is None
    with pytest.raises(ValueError, match="max_similarity"):
        QualityFilter(max_similarity=0)
