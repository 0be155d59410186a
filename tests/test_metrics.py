"""Metrics: answer extraction per benchmark, the evaluate modules, and agreement with lmms-eval.

The agreement tests load lmms-eval's own task code and evaluator-level code by file path (see
``timewarp_hf.testing.lmms_eval_reference``) from ``$LMMS_EVAL_SRC`` (an unpacked lmms-eval wheel) or an installed copy. They
skip when neither exists, except under ``CI=true``, where a missing lmms-eval fails them: the promise that
reference mode scores as lmms-eval does must not vanish from CI unnoticed.
"""

import doctest
import importlib
import math
import os
import socket
from pathlib import Path

import pytest

from timewarp_hf.metrics import BENCHMARKS, METRICS, extraction, load_metric, metric_path
from timewarp_hf.metrics.extraction import answer_reader, extract_answer, extract_choice, extract_yes_no
from timewarp_hf.testing.lmms_eval_reference import (
    LmmsEval,
    lmms_eval_score,
    lmms_eval_vinoground,
    write_vinoground_answers,
)
from timewarp_hf.testing.mcq_outputs import (
    make_rows,
    make_vinoground_rows,
    temporal_mcq_inputs,
    verdicts_of,
    vinoground_inputs,
)

OPTIONS = ["walking slowly", "running", "turning left", "sitting down"]


def choice(output, options=OPTIONS, **kwargs):
    return extract_choice(output, options, **kwargs)


# ------------------------------------------------------------------------------------------------
# Corrected extraction
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "output, expected",
    [
        ("B", "B"),
        ("(B)", "B"),
        ("B.", "B"),
        ("B) running", "B"),
        ("(C) turning left", "C"),
        ("D: sitting down", "D"),
        ("The answer is B", "B"),
        ("The correct answer is (C).", "C"),
        ("Answer: **D**", "D"),
        ("I choose C", "C"),
        ("Best option: (A)", "A"),
        ("b", "B"),
        ("the answer is b.", "B"),
        ("c)", "C"),
        ("  c  ", "C"),
        ("running", "B"),
        ("The person is walking slowly.", "A"),
        ("A man is running.", "B"),  # the article is not option A; the option text decides
        ("a", "A"),  # a lone letter is a label even in lower case
        ("A is correct", "A"),
        ("B, because A is wrong", "B"),
        ("<think>Maybe A.</think>D", "D"),
        ("B\n\nExplanation: the man walks slowly.", "B"),
        ("", None),
        (None, None),
        ("   ", None),
        ("A dog barks.", None),  # an article, and no option text
        ("e.g. the man moves", None),  # "e." is not option E
        ("E", None),  # only four options
        ("I cannot tell from the video.", None),
        ("Option 2", None),  # digits are labels only for numbered options
    ],
)
def test_extract_choice(output, expected):
    assert choice(output) == expected


def test_corrected_reads_the_answer_after_reasoning():
    # a whole block, then the answer
    assert choice("<think>It could be A, but it is C.</think>The answer is C.") == "C"
    assert choice("<thinking>(A)?</thinking>\n\n**B**") == "B"
    assert choice("<THINK>A</THINK> D") == "D"  # any case
    assert choice("<analysis>A</analysis><think>D</think>B") == "B"
    # only the closing tag (the template opened the block in the prompt)
    assert choice("Let me see: A is wrong... </think>C") == "C"
    # an unclosed block with no answer before it: unparsed, not the option its reasoning named last
    assert choice("<think>It could be A, or maybe C") is None
    assert choice("<think>The man is running") is None
    assert extract_yes_no("<think>is it yes? maybe") is None
    # an answer given before the block opened still counts
    assert choice("B <think>because the man runs") == "B"
    assert extract_yes_no("<think>no, wait</think>Yes") == "yes"


@pytest.mark.parametrize(
    "output, expected",
    [
        ("答案是C", "C"),
        ("答案是：B。", "B"),
        ("正确答案为 (D)", "D"),
        ("我选A", "A"),
        ("选项B", "B"),
        ("答案应该是C选项", "C"),
        ("C。", "C"),
        ("视频中的人在跑步，所以答案是B。", "B"),
    ],
)
def test_corrected_reads_chinese_answer_phrases(output, expected):
    assert choice(output) == expected


@pytest.mark.parametrize(
    "output, options, expected",
    [
        ("A MAN OPENS THE DOOR", ["the car drives away", "a man opens the door"], "B"),
        ("a man opens the door.", ["the car drives away", "a man opens the door"], "B"),
        ("RUNNING", OPTIONS, "B"),
        ("TURNING LEFT.", OPTIONS, "C"),
        ("Walking Slowly", OPTIONS, "A"),
        ("A MAN RUNS AWAY", ["sits", "stands"], None),  # the article in capitals is no option
        ("(B) RUNNING", OPTIONS, "B"),
    ],
)
def test_corrected_reads_option_texts_in_any_case(output, options, expected):
    assert choice(output, options) == expected


@pytest.mark.parametrize(
    "output, expected", [("Option 2", "B"), ("2", "B"), ("(3)", "C"), ("The answer is 4.", "D"), ("B", "B")]
)
def test_numbered_options(output, expected):
    assert choice(output, numbered=True) == expected


@pytest.mark.parametrize(
    "output, default, strict",
    [
        ("A or B", "A", None),
        ("(A) is wrong; the answer is (B).", "B", None),
        ("C. No, B.", "C", None),
        ("B. walking slowly", "B", "B"),  # one letter, whatever the text
        ("The answer is B, B.", "B", "B"),
    ],
)
def test_strict_refuses_several_letters(output, default, strict):
    assert choice(output) == default
    assert choice(output, strict=True) == strict


def test_option_texts():
    # the longest matching option wins when one option's text contains another's
    assert choice("He is walking slowly", ["walking", "walking slowly"]) == "B"
    # capitals inside a quoted option are not labels
    swapped = ["Person A hands the ball to person B", "Person B hands the ball to person A"]
    assert choice("Person B hands the ball to person A.", swapped) == "B"
    assert choice("Person B hands the ball to person A.", swapped, strict=True) == "B"
    # two unrelated option texts: no guess
    assert choice("running, then sitting down") is None
    # without options the letters come from num_choices
    assert extract_choice("(E)", num_choices=5) == "E"
    with pytest.raises(ValueError, match="num_choices"):
        extract_choice("A")


@pytest.mark.parametrize(
    "output, expected",
    [
        ("Nope", "no"),
        ("Nope, it stays still.", "no"),
        ("Nah.", "no"),
        ("Not really", "no"),
        ("Not at all.", "no"),
        ("I don't think so.", "no"),
        ("Well, I don't think so.", "no"),
        ("Absolutely not", "no"),
        ("N", "no"),
        ("Yeah", "yes"),
        ("Yep, it moves left.", "yes"),
        ("Yup", "yes"),
        ("Y", "yes"),
        ("Sure, it does.", "yes"),
        ("Absolutely.", "yes"),
        ("Of course", "yes"),
        ("I'm not sure.", None),  # a hedge is no answer
        ("Not sure", None),
        ("Maybe", None),
    ],
)
def test_yes_no_reads_informal_answers(output, expected):
    assert extract_yes_no(output) == expected


@pytest.mark.parametrize(
    "output, expected",
    [
        ("是", "yes"),
        ("是的，他在向左转。", "yes"),
        ("对", "yes"),
        ("不是", "no"),
        ("不是的", "no"),
        ("否", "no"),
        ("没有", "no"),
        ("答案是：不是", "no"),
        ("答案是是", "yes"),
    ],
)
def test_yes_no_reads_chinese_answers(output, expected):
    assert extract_yes_no(output) == expected


@pytest.mark.parametrize(
    "output, expected, strict",
    [
        ("Yes", "yes", "yes"),
        ("no.", "no", "no"),
        ("No, the man does not turn.", "no", "no"),
        ("The answer is yes.", "yes", "yes"),
        ("There is no dog in the video.", "no", "no"),
        ("Not sure", None, None),  # "not" is not "no"
        ("None", None, None),
        ("YES", "yes", "yes"),
        ("I would say yes rather than no", "yes", None),
        ("", None, None),
    ],
)
def test_extract_yes_no(output, expected, strict):
    assert extract_yes_no(output) == expected
    assert extract_yes_no(output, strict=True) == strict


# ------------------------------------------------------------------------------------------------
# Reference rules: lmms-eval's behaviour, flaws included, next to the corrected reading
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "benchmark, output, options, reference, corrected",
    [
        ("mvbench", "a man turns left", ["turns right", "turns left"], "A", "B"),
        ("mvbench", "(B) turning left", ["turning right", "turning left"], "B", "B"),
        ("videomme", "A man walks to the door.", OPTIONS, "A", None),
        ("videomme", "Based on the video, it is running.", OPTIONS, "B", "B"),
        ("videomme", "The best answer is C.", OPTIONS, "C", "C"),
        ("tvbench", "I think the answer is B.", OPTIONS, None, "B"),
        ("tvbench", "A person is running", OPTIONS, "A", "B"),
        ("tomato", "Answer: B", OPTIONS + ["standing", "lying"], "A", "B"),
        ("tomato", "I cannot tell.", OPTIONS + ["standing", "lying"], "A", None),
        ("perceptiontest", "A man is sitting down", OPTIONS[:3], "A", None),
        ("perceptiontest", "D", OPTIONS[:3], "D", None),
        ("nextqa", "A man opens the door", OPTIONS + ["jumping"], "A", None),
        ("nextqa", "A or B", OPTIONS + ["jumping"], "B", "A"),
        ("nextqa", "no idea", OPTIONS + ["jumping"], None, None),  # lmms-eval: a random letter
        ("egoschema", "A or B", OPTIONS + ["jumping"], "A", "A"),  # the earliest candidate
        ("egoschema", "B, or rather (D)", OPTIONS + ["jumping"], "D", "B"),
        ("longvideobench", "Based on the video, C.", OPTIONS, "B", "C"),
        ("motionbench", "a man is running", OPTIONS, "A", "B"),
        ("motionbench", "THE ANSWER IS D", OPTIONS, "D", "D"),
        ("temporalbench", "The answer is A", ["x", "y"], None, "A"),
        ("temporalbench", "b", ["x", "y"], "B", "B"),
        ("tempcompass_multi_choice", "The answer is B", OPTIONS, None, "B"),
        ("tempcompass_multi_choice", "B. running", OPTIONS, "B", "B"),
        ("tempcompass_multi_choice", "(B)", OPTIONS, None, "B"),
        (
            "tempcompass_caption_matching",
            "Caption B",
            ["Caption A: a man runs", "Caption B: a man sits"],
            "B",
            "B",
        ),
        (
            "tempcompass_caption_matching",
            "a man sits",
            ["Caption A: a man runs", "Caption B: a man sits"],
            "B",
            "B",
        ),
        (
            "tempcompass_caption_matching",
            "The caption B.",
            ["Caption A: a man runs", "Caption B: a man sits"],
            None,
            "B",
        ),
        (
            "tempcompass_caption_matching",
            "Option 2",
            ["Option 1: a man runs", "Option 2: a man sits"],
            "B",
            "B",
        ),
        ("tempcompass_caption_matching", "2", ["Option 1: a man runs", "Option 2: a man sits"], "B", "B"),
        ("tempcompass_yes_no", "Not sure", [], "no", None),
        ("tempcompass_yes_no", "The answer is yes.", [], None, "yes"),
        (
            "vitatecs",
            "The man walks to the left.",
            ["The man walks to the left.", "The man walks to the right."],
            "A",
            "A",
        ),
        (
            "vitatecs",
            "I think (B).",
            ["The man walks to the left.", "The man walks to the right."],
            None,
            "B",
        ),
    ],
)
def test_reference_and_corrected(benchmark, output, options, reference, corrected):
    assert extract_answer(output, benchmark=benchmark, options=options, mode="reference") == reference
    assert extract_answer(output, benchmark=benchmark, options=options) == corrected


def test_vinoground_reference_reads_the_first_character():
    assert extraction.reference_vinoground(" A", []) is None
    assert extraction.reference_vinoground("a", []) == "A"
    assert extraction.reference_vinoground("", []) is None


def test_videohallucer_reference_matches_anywhere():
    assert extraction.reference_videohallucer("Yes, no doubt.", "yes") == "yes"
    assert extraction.reference_videohallucer("Yes, no doubt.", "no") == "no"
    assert extraction.reference_videohallucer("Nope", "no") is None


def test_rule_errors():
    with pytest.raises(ValueError, match="accepted: generic, tempcompass_multi_choice"):
        extraction.get_rule("mvbnech")
    with pytest.raises(ValueError, match="accepted: corrected, reference"):
        extraction.get_rule("mvbench", mode="lmms")
    with pytest.raises(ValueError, match="strict=True needs mode='corrected'"):
        extraction.get_rule("mvbench", mode="reference", strict=True)
    with pytest.raises(ValueError, match="mode='reference' is accepted for: tempcompass_multi_choice"):
        extraction.get_rule("generic", mode="reference")
    with pytest.raises(ValueError, match="pass options"):
        answer_reader("tvbench", "reference")("B", [])
    with pytest.raises(ValueError, match="two options"):
        extract_answer("A", benchmark="vitatecs", options=["a", "b", "c"], mode="reference")


# ------------------------------------------------------------------------------------------------
# The evaluate modules
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_evaluate_load_offline_on_the_packaged_paths(no_network):
    import evaluate

    assert set(METRICS) == {"temporal_mcq", "vinoground", "paired_yes_no", "llm_judge", "temporal_sensitivity"}
    for name in METRICS:
        assert (Path(metric_path(name)) / f"{name}.py").is_file()
    metric = evaluate.load(metric_path("temporal_mcq"), keep_in_memory=True)
    assert metric.name == "temporal_mcq" and metric.benchmark == "generic" and metric.mode == "corrected"
    result = metric.compute(
        predictions=["(B) left", "a man turns left"], references=["B", "A"], options=[["right", "left"]] * 2
    )
    assert result == {"accuracy": 0.5, "per_category": {}, "extracted": ["B", "B"], "unparsed_rate": 0.0}
    # evaluate's own way to pick a configuration names the benchmark too
    assert evaluate.load(metric_path("temporal_mcq"), "mvbench", keep_in_memory=True).benchmark == "mvbench"
    assert evaluate.load(metric_path("vinoground"), keep_in_memory=True).name == "vinoground"
    assert evaluate.load(metric_path("paired_yes_no"), keep_in_memory=True).name == "paired_yes_no"
    with pytest.raises(ValueError, match="accepted: temporal_mcq, vinoground, paired_yes_no"):
        metric_path("accuracy")


@pytest.mark.parametrize("name", METRICS)
def test_documented_examples_run(name):
    """The examples in each module's inputs description (shown by ``help(metric.compute)``)."""
    module = importlib.import_module(f"timewarp_hf.metrics.{name}.{name}")
    test = doctest.DocTestParser().get_doctest(module._KWARGS_DESCRIPTION, {}, name, None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_load_metric_configures_the_module(no_network):
    metric = load_metric("temporal_mcq", benchmark="mvbench", mode="reference", keep_in_memory=True)
    assert (metric.benchmark, metric.mode, metric.config_name) == ("mvbench", "reference", "mvbench")
    with pytest.raises(ValueError, match="disagree"):
        load_metric("temporal_mcq", benchmark="mvbench", config_name="videomme")
    with pytest.raises(ValueError, match="Unknown benchmark 'mvbnech'; accepted: generic"):
        load_metric("temporal_mcq", benchmark="mvbnech")


def test_classes_are_usable_directly():
    from timewarp_hf.metrics import PairedYesNo, TemporalMCQ, Vinoground

    metric = TemporalMCQ(benchmark="tempcompass_yes_no", keep_in_memory=True)
    assert metric.compute(predictions=["Yes", "no"], references=["yes", "yes"])["accuracy"] == 0.5
    assert Vinoground(keep_in_memory=True).name == "vinoground"
    assert PairedYesNo(keep_in_memory=True).name == "paired_yes_no"


def test_mvbench_reference_and_corrected_differ():
    predictions = ["a man turns left", "", "B"]
    inputs = {
        "predictions": predictions,
        "references": ["B", "A", "B"],
        "options": [["turns right", "turns left"]] * 3,
    }
    reference = load_metric(
        "temporal_mcq", benchmark="mvbench", mode="reference", keep_in_memory=True
    ).compute(**inputs)
    corrected = load_metric("temporal_mcq", benchmark="mvbench", keep_in_memory=True).compute(**inputs)
    # lmms-eval reads the article as option A and leaves the empty output out of the denominator
    assert reference["extracted"] == ["A", None, "B"] and reference["accuracy"] == 0.5
    assert corrected["extracted"] == ["B", None, "B"] and corrected["accuracy"] == pytest.approx(2 / 3)


def test_add_batch_then_compute(tmp_path):
    metric = load_metric("temporal_mcq", benchmark="videomme", cache_dir=str(tmp_path))
    metric.add_batch(
        predictions=["A", "The answer is C"], references=["A", "B"], categories=["speed", "order"]
    )
    metric.add_batch(predictions=["(D)"], references=["D"], categories=["order"], groups=["v1"])
    metric.add(prediction="b", reference="B", options=None, categories="speed", groups="v1")
    with pytest.raises(ValueError, match="Bad inputs"):
        metric.add_batch(predictions=["A"], references=["A"], category=["speed"])
    result = metric.compute()
    assert result["extracted"] == ["A", "C", "D", "B"]
    assert result["accuracy"] == 0.75
    assert result["per_category"] == {"order": 0.5, "speed": 1.0}
    assert result["group_accuracy"] == 1.0


def test_temporal_mcq_categories_groups_and_unparsed():
    metric = load_metric("temporal_mcq", keep_in_memory=True)
    result = metric.compute(
        predictions=["A", "B", "I don't know", "C"],
        references=["A", "A", "B", "C"],
        options=[OPTIONS] * 4,
        categories=["speed", "speed", "order", ""],
        groups=[1, 1, 2, 2],
    )
    assert result["accuracy"] == 0.5
    assert result["per_category"] == {"order": 0.0, "speed": 0.5}
    assert result["group_accuracy"] == 0.0
    assert result["unparsed_rate"] == 0.25


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"predictions": ["A"], "references": ["F"]},
            r"references\[0\] = 'F'; references are option letters, here one of A, B, C, D, E",
        ),
        ({"predictions": ["A"], "references": ["C"], "options": [["x", "y"]]}, "here one of A, B$"),
        ({"predictions": ["A", "B"], "references": ["A"]}, "references has 1 entries but predictions has 2"),
        ({"predictions": ["A"], "references": ["A"], "options": [["x"], ["y"]]}, "options has 2 entries"),
        ({"predictions": [], "references": []}, "no predictions"),
    ],
)
def test_temporal_mcq_bad_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_metric("temporal_mcq", keep_in_memory=True).compute(**kwargs)


def test_yes_no_and_reference_option_errors():
    with pytest.raises(ValueError, match="references are 'yes' or 'no'"):
        load_metric("temporal_mcq", benchmark="tempcompass_yes_no", keep_in_memory=True).compute(
            predictions=["yes"], references=["A"]
        )
    with pytest.raises(ValueError, match="reads the option texts; pass options"):
        load_metric("temporal_mcq", benchmark="tomato", mode="reference", keep_in_memory=True).compute(
            predictions=["A"], references=["A"]
        )


def test_vinoground_scores():
    metric = load_metric("vinoground", keep_in_memory=True)
    result = metric.compute(
        predictions=["A", "B", "A", "B", "A", "The answer is A", "B", "B"],
        references=["A", "B", "A", "B", "A", "B", "B", "A"],
        pair_ids=[0, 0, 0, 0, 1, 1, 1, 1],
        question_types=["text", "text", "video", "video"] * 2,
        categories=["action;order"] * 4 + ["object"] * 4,
    )
    assert (result["text_score"], result["video_score"], result["group_score"]) == (0.5, 0.5, 0.5)
    assert result["per_category"]["order"] == {"text_score": 1.0, "video_score": 1.0, "group_score": 1.0}
    assert result["per_category"]["object"] == {"text_score": 0.0, "video_score": 0.0, "group_score": 0.0}
    reference = load_metric("vinoground", mode="reference", keep_in_memory=True).compute(
        predictions=["The answer is A", "B"],
        references=["A", "B"],
        pair_ids=[0, 0],
        question_types=["text", "text"],
    )
    assert reference["extracted"] == [None, "B"] and reference["text_score"] == 0.0
    assert reference["video_score"] is None and reference["group_score"] is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"question_types": ["text", "image"]}, r"question_types\[1\] = 'image'"),
        ({"references": ["A", "C"]}, "Vinoground references are 'A' or 'B'"),
        ({"pair_ids": [0, 1]}, "pair '0' has 1 text question"),
    ],
)
def test_vinoground_bad_inputs(kwargs, message):
    inputs = {
        "predictions": ["A", "B"],
        "references": ["A", "B"],
        "pair_ids": [0, 0],
        "question_types": ["text", "text"],
    }
    with pytest.raises(ValueError, match=message):
        load_metric("vinoground", keep_in_memory=True).compute(**{**inputs, **kwargs})


def test_paired_yes_no():
    inputs = {
        "predictions": ["Yes, he does.", "Yes, no doubt.", "Yes", "No, he does not."],
        "references": ["yes", "no", "yes", "no"],
        "pair_ids": [1, 1, 2, 2],
        "categories": ["temporal", "temporal", "semantic", "semantic"],
    }
    corrected = load_metric("paired_yes_no", keep_in_memory=True).compute(**inputs)
    assert corrected["pair_accuracy"] == 0.5 and corrected["accuracy"] == 0.75
    assert (corrected["basic_accuracy"], corrected["hallucinated_accuracy"]) == (1.0, 0.5)
    assert corrected["per_category"]["temporal"]["pair_accuracy"] == 0.0
    # VideoHallucer finds "no" in "Yes, no doubt." and counts it right
    reference = load_metric("paired_yes_no", mode="reference", keep_in_memory=True).compute(**inputs)
    assert reference["pair_accuracy"] == 1.0 and reference["extracted"][1] == "no"
    with pytest.raises(ValueError, match="pair '3' has one question"):
        load_metric("paired_yes_no", keep_in_memory=True).compute(
            predictions=["yes"], references=["yes"], pair_ids=[3]
        )
    with pytest.raises(ValueError, match="references are 'yes' or 'no'"):
        load_metric("paired_yes_no", keep_in_memory=True).compute(
            predictions=["yes"] * 2, references=["yes", "maybe"], pair_ids=[3, 3]
        )
    with pytest.raises(ValueError, match="strict=True needs mode='corrected'"):
        load_metric("paired_yes_no", mode="reference", strict=True)


# ------------------------------------------------------------------------------------------------
# Agreement with lmms-eval's own scoring functions
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lmms_eval():
    root = LmmsEval.locate()
    if root is None:
        message = (
            "lmms-eval not found: set LMMS_EVAL_SRC to an unpacked lmms-eval wheel "
            "(see timewarp_hf.testing.lmms_eval_reference)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; under CI=true the agreement tests must run")
        pytest.skip(message)
    with LmmsEval(root) as lmms:
        yield lmms


@pytest.mark.parametrize("benchmark", [name for name in BENCHMARKS if name != "generic"])
def test_reference_mode_agrees_with_lmms_eval(lmms_eval, benchmark):
    lmms = lmms_eval
    rows = make_rows(benchmark, 300, seed=1)
    verdicts, lmms_accuracy = lmms_eval_score(lmms, benchmark, rows)
    metric = load_metric("temporal_mcq", benchmark=benchmark, mode="reference", keep_in_memory=True)
    result = metric.compute(**temporal_mcq_inputs(rows))
    if verdicts is not None:  # TemporalBench is scored in aggregate only
        ours = verdicts_of(result, rows)
        disagreements = [
            (row.prediction, row.reference) for row, a, b in zip(rows, ours, verdicts, strict=True) if a != b
        ]
        assert not disagreements
    assert result["accuracy"] == pytest.approx(lmms_accuracy)


def test_vinoground_reference_agrees_with_lmms_eval(lmms_eval):
    lmms = lmms_eval
    rows = make_vinoground_rows(seed=1)
    write_vinoground_answers(lmms, rows)
    expected = lmms_eval_vinoground(lmms, rows)
    result = load_metric("vinoground", mode="reference", keep_in_memory=True).compute(
        **vinoground_inputs(rows)
    )
    assert all(
        map(math.isclose, (result["text_score"], result["video_score"], result["group_score"]), expected)
    )


# Outputs that lmms-eval's evaluator changes before a task reads them: reasoning blocks (closed, only
# the closing tag, unclosed, upper case, nested in order), padding. {L} is the gold label, {M} another.
EVALUATOR_CASES = [
    "<think>It could be {M}, but looking again it is {L}.</think>{L}",
    "<think>It could be {M}, but ... it is {L}.</think>\n{L}",
    "reasoning about {M} ... </think>{L}",
    "</think> {L} ",
    "<think>unclosed, so maybe {M}",
    "<think>{M}</think>",
    "<analysis>{M}</analysis>{L}",
    "<THINK>{M}</THINK>{L}",
    "<think>{M}</think> and <think>{M}</think>{L}",
    "</think>{M}<think>{L}",
    "  {L}  ",
    "\n{L}\n",
    "\t({L})",
    "   ",
    "{L}",
]
EVALUATOR_YES_NO = [
    "\nno\n", "  yes  ", "<think>yes, it moves</think>no", "no motion</think>Yes", "<think>unclosed yes",
    "<analysis>no</analysis>yes", "<think>yes</think>", "   ",
]  # fmt: skip


@pytest.mark.parametrize(
    "output, expected",
    [
        ("<think>It could be A, but ... it is C.</think>C", "C"),
        ("  C  ", "C"),
        ("\nno\n", "no"),
        ("thinking</think>B", "B"),  # a prefilled opening tag: the text after the closing one
        ("a</think>b</think>C", "C"),
        ("<think>unclosed B", "<think>unclosed B"),  # left as it is
        ("<THINK>A</THINK>B", "<THINK>A</THINK>B"),  # tags are case-sensitive
        ("<think>A</think>B<think>C</think>D", "BD"),
        ("<analysis>A</analysis> B", "B"),
        (None, ""),
    ],
)
def test_lmms_eval_response_preprocessing(output, expected):
    assert extraction.lmms_eval_response(output) == expected


@pytest.mark.parametrize(
    "benchmark", [name for name in BENCHMARKS if name not in ("generic", "temporalbench")]
)
def test_reference_mode_reads_after_the_evaluator(benchmark):
    """The issue's case: lmms-eval's evaluator drops the reasoning and the padding first."""
    rule = BENCHMARKS[benchmark]
    if rule.answer_type == "yes_no":
        assert extract_answer("\nno\n", benchmark=benchmark, mode="reference") == "no"
        return
    label = "3" if rule.numbered else "C"
    options = (
        OPTIONS + ["standing", "lying"][: max(0, rule.num_choices - 4)]
        if rule.num_choices > 2
        else OPTIONS[:2]
    )
    if benchmark == "vitatecs" or rule.num_choices == 2:
        label = "2" if rule.numbered else "B"
    for output in (f"<think>It could be A, but ... it is {label}.</think>{label}", f"  {label}  "):
        expected = "B" if label in ("B", "2") else "C"
        assert extract_answer(output, benchmark=benchmark, options=options, mode="reference") == expected, (
            output
        )


def test_vinoground_reference_reads_after_the_evaluator():
    metric = load_metric("vinoground", mode="reference", keep_in_memory=True)
    result = metric.compute(
        predictions=["<think>A?</think>B", "  A", "A</think>B", "\tA"],
        references=["B", "A", "B", "A"],
        pair_ids=["1", "1", "1", "1"],
        question_types=["text", "text", "video", "video"],
    )
    assert result["extracted"] == ["B", "A", "B", "A"] and result["group_score"] == 1.0


def test_mvbench_reference_drops_outputs_empty_after_the_evaluator():
    metric = load_metric("temporal_mcq", benchmark="mvbench", mode="reference", keep_in_memory=True)
    result = metric.compute(
        predictions=["B", "<think>A</think>", "   "], references=["B", "A", "A"], options=[["x", "y"]] * 3
    )
    assert result["accuracy"] == 1.0  # lmms-eval leaves both empty answers out of the denominator


def test_lmms_eval_reasoning_module_agrees(lmms_eval):
    """Our port against lmms-eval's own api/reasoning.py, under the CLI's default tags."""
    lmms = lmms_eval
    evaluator = lmms._load_evaluator()
    assert [list(p) for p in extraction.LMMS_EVAL_REASONING_TAGS] == evaluator["reasoning_tags"]
    outputs = [case.format(L="C", M="A") for case in EVALUATOR_CASES] + EVALUATOR_YES_NO
    for output in outputs:
        seen = lmms.evaluate(lambda doc, results: {"seen": results[0]}, {}, output)["seen"]
        assert extraction.lmms_eval_response(output) == seen, output


@pytest.mark.parametrize("benchmark", [name for name in BENCHMARKS if name != "generic"])
def test_reference_mode_agrees_with_lmms_eval_evaluator_cases(lmms_eval, benchmark):
    """Every evaluator case, for every benchmark, through lmms-eval's evaluator and task code."""
    lmms = lmms_eval
    rows = make_rows(benchmark, 4 * len(EVALUATOR_CASES), seed=2)
    rule = BENCHMARKS[benchmark]
    for k, row in enumerate(rows):
        if rule.answer_type == "yes_no":
            row.prediction = EVALUATOR_YES_NO[k % len(EVALUATOR_YES_NO)]
            continue
        gold = extraction.LETTERS.index(row.reference)
        other = (gold + 1 + k // len(EVALUATOR_CASES)) % len(row.options)
        labels = [str(i + 1) for i in range(len(row.options))] if rule.numbered else extraction.LETTERS
        case = EVALUATOR_CASES[k % len(EVALUATOR_CASES)]
        row.prediction = case.format(L=labels[gold], M=labels[other])
        if benchmark == "temporalbench" and not extraction.lmms_eval_response(row.prediction):
            row.prediction = labels[gold]  # lmms-eval crashes on an answer its evaluator empties
    verdicts, lmms_accuracy = lmms_eval_score(lmms, benchmark, rows)
    metric = load_metric("temporal_mcq", benchmark=benchmark, mode="reference", keep_in_memory=True)
    result = metric.compute(**temporal_mcq_inputs(rows))
    if verdicts is not None:
        ours = verdicts_of(result, rows)
        assert [r.prediction for r, a, b in zip(rows, ours, verdicts, strict=True) if a != b] == []
    assert result["accuracy"] == pytest.approx(lmms_accuracy)
