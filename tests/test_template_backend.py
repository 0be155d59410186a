import json

import pytest
from datasets import load_dataset

import timewarp_hf  # noqa: F401
from timewarp_hf.config import TimeWarpConfigError
from timewarp_hf.generation import GenerationRequest, load_backend
from timewarp_hf.generation.template_backend import answer_question, template_questions
from timewarp_hf.parsing import parse_answer, parse_qa_pairs
from timewarp_hf.testing import make_sample_videos

CAPTIONS = ["a red ball rolls in", "the ball hits a wall", "the ball stops", "a cat walks past"]


def test_questions_need_the_order_and_answers_follow_it():
    pairs = template_questions(CAPTIONS, 3)
    assert len(pairs) == 3 and len({q for q, _ in pairs}) == 3
    assert pairs == template_questions(CAPTIONS, 3)  # deterministic
    assert answer_question("What happens first in the video?", CAPTIONS) == "a red ball rolls in"
    assert answer_question("What happens last in the video?", CAPTIONS) == "a cat walks past"
    assert answer_question("What happens right after the ball hits a wall?", CAPTIONS) == "the ball stops"
    assert answer_question("What happens right before the ball stops?", CAPTIONS) == "the ball hits a wall"
    assert answer_question('Does "the ball stops" happen before or after "a cat walks past"?', CAPTIONS) == (
        "before"
    )
    assert answer_question("Which happens first: a cat walks past or the ball stops?", CAPTIONS) == (
        "the ball stops"
    )
    assert answer_question("Which happens last: a cat walks past or the ball stops?", CAPTIONS) == (
        "a cat walks past"
    )
    shuffled = [CAPTIONS[k] for k in (3, 0, 2, 1)]
    assert answer_question("What happens first in the video?", shuffled) == "a cat walks past"
    assert answer_question("What happens right after a cat walks past?", CAPTIONS) == (
        "nothing, the video ends there"
    )
    assert answer_question("What happens right before a red ball rolls in?", CAPTIONS) == (
        "nothing, the video starts there"
    )


def test_order_lists_name_what_changes_and_the_question_does_not_give_the_order_away():
    screens = ["the screen turns red", "the screen turns green", "the screen turns blue"]
    question = (
        "In which order do these happen: the screen turns blue; the screen turns green; the screen turns red?"
    )
    assert question in [q for q, _ in template_questions(screens, 100)]
    assert answer_question(question, screens) == "red, then green, then blue"
    assert answer_question(question, screens[::-1]) == "blue, then green, then red"
    # nothing shared to strip: the full phrases
    assert answer_question(
        "In which order do these happen: a cat walks past; a red ball rolls in?", CAPTIONS[::-1]
    ) == ("a cat walks past, then a red ball rolls in")


def test_answers_name_a_scene_the_way_benchmark_options_do():
    """A caption sentence ("The screen turns red.") makes a model learn its shared words, not the scene;
    and a benchmark scores a bare option phrase ("red"). Every answer about one scene is that scene's
    name among the clip's scenes, the same whatever the order and whichever question asks."""
    screens = ["the screen turns red", "the screen turns green", "the screen turns blue"]
    square = [
        "the teal square is on the left",
        "the teal square is in the middle",
        "the teal square is on the right",
    ]
    for captions, names in (
        (screens, {"red", "green", "blue"}),
        (square, {"on the left", "in the middle", "on the right"}),
    ):
        ends = {"nothing, the video ends there", "nothing, the video starts there", "before", "after"}
        for order in (captions, captions[::-1], [captions[k] for k in (1, 2, 0)]):
            for question, _ in template_questions(captions, 100):
                answer = answer_question(question, order)
                assert answer in names | ends or set(answer.split(", then ")) <= names, (question, answer)
    assert answer_question("What happens right after the screen turns green?", screens) == "blue"
    assert answer_question("What happens first in the video?", square[::-1]) == "on the right"


def test_a_clip_and_its_reversal_are_asked_the_same_questions_in_the_same_answer_forms():
    for captions in (CAPTIONS, ["the square is at the top", "the square is at the bottom"]):
        forward = template_questions(captions, 9)
        backward = template_questions(captions[::-1], 9)
        assert [q for q, _ in forward] == [q for q, _ in backward]
        forms = {"before", "after"}
        for (_, a), (_, b) in zip(forward, backward):
            assert (a in forms) == (b in forms) and (", then " in a) == (", then " in b)
    # two scenes allow fewer distinct questions; the backend says how many
    assert load_backend("template").max_questions(["at the top", "at the bottom"]) == 10


def test_every_generated_question_is_answered_differently_by_some_order():
    for captions in (CAPTIONS, CAPTIONS[:2], CAPTIONS[:3]):
        for question, answer in template_questions(captions, 100):
            assert answer_question(question, captions) == answer
            assert answer_question(question, captions[::-1]) != answer


def test_backend_speaks_the_recipe_format_and_refuses_free_prompts():
    backend = load_backend("template")
    qa = backend.generate(
        [
            GenerationRequest(
                [{"role": "user", "content": "x"}],
                extra={"task": "explicit_qa", "captions": CAPTIONS, "num_questions": 3},
            )
        ]
    )
    assert len(parse_qa_pairs(qa[0], 3)) == 3
    question = parse_qa_pairs(qa[0], 3)[0][0]
    reply = backend.generate(
        [
            GenerationRequest(
                [{"role": "user", "content": "x"}],
                extra={"task": "explicit_answer", "captions": CAPTIONS[::-1], "question": question},
            )
        ]
    )[0]
    assert parse_answer(reply) == answer_question(question, CAPTIONS[::-1])
    with pytest.raises(ValueError, match="only answers the explicit recipe"):
        backend.generate([GenerationRequest([{"role": "user", "content": "hello"}])])
    with pytest.raises(ValueError, match="2 distinct scene captions"):
        template_questions(["same", "same"], 1)


def test_explicit_build_with_the_template_backend(tmp_path, isolated_datasets_cache):
    base = tmp_path / "annotated"
    paths = make_sample_videos(base, 2, num_frames=24)
    with open(base / "metadata.jsonl", "w") as f:
        for p in paths:
            scenes = [[0, 1, "a red screen"], [1, 2, "a green screen"], [2, 3, "a blue screen"]]
            f.write(json.dumps({"file_name": p.name, "scenes": scenes}) + "\n")
    ds = load_dataset("timewarp", base=str(base), recipe="explicit", generator="template", split="train")
    summary = json.loads(ds.info.description)
    assert summary["videos_seen"] == 2 and summary["num_pairs"] == len(ds) > 0
    assert summary["num_pairs"] + summary["filtered"].get("identical", 0) == 6
    for row in ds:
        warp = json.loads(row["warp"])
        order = [["a red screen", "a green screen", "a blue screen"][k] for k in warp["scene_order"]]
        question = row["prompt"][0]["content"][1]["text"]
        assert row["rejected"][0]["content"][0]["text"] == answer_question(question, order)
        assert row["generator"].startswith("template:rules-v3")


def test_template_backend_only_for_explicit(tmp_path):
    with pytest.raises(TimeWarpConfigError, match="only writes the explicit recipe's QA"):
        load_dataset("timewarp", base=str(tmp_path), recipe="warped", captioner="template", split="train")


def test_a_shuffle_that_keeps_the_answer_is_drawn_again(tmp_path, isolated_datasets_cache, monkeypatch):
    """With three scenes a shuffle often leaves a question's answer as it was (moving only the last two
    scenes keeps "what happens first"); that pair would be dropped as identical and its clip's reversal,
    asked the same question, would train alone. The recipe asks again over another shuffle instead."""
    from timewarp_hf.recipes import explicit

    base = tmp_path / "annotated"
    paths = make_sample_videos(base, 4, num_frames=24)
    captions = ["a red screen", "a green screen", "a blue screen"]
    with open(base / "metadata.jsonl", "w") as f:
        for k, p in enumerate(paths):
            order = captions if k % 2 == 0 else captions[::-1]
            scenes = [[s, s + 1, c] for s, c in enumerate(order)]
            f.write(json.dumps({"file_name": p.name, "scenes": scenes}) + "\n")

    def build(name):
        return load_dataset(
            "timewarp",
            base=str(base),
            recipe="explicit",
            generator="template",
            num_questions=9,
            split="train",
            cache_dir=str(tmp_path / name),
        )

    redrawn = build("redrawn")
    monkeypatch.setattr(explicit, "_RESHUFFLES", 0)
    once = build("once")
    summaries = [json.loads(ds.info.description) for ds in (once, redrawn)]
    lost = [summary["filtered"].get("identical", 0) for summary in summaries]
    assert lost[0] >= 8 and lost[1] <= lost[0] // 4, lost  # 14 vs 1 when written
    # the build summary counts the re-drawn shuffles: at least one per pair the single draw lost
    assert summaries[0]["explicit_reshuffles"] == 0 and summaries[1]["explicit_reshuffles"] >= lost[0]
    assert len(redrawn) == 4 * 9 - lost[1]
    for row in redrawn:
        warp = json.loads(row["warp"])
        question = row["prompt"][0]["content"][1]["text"]
        scenes = captions if row["video_id"] in {p.stem for p in paths[::2]} else captions[::-1]
        rejected = row["rejected"][0]["content"][0]["text"]
        assert rejected == answer_question(question, [scenes[k] for k in warp["scene_order"]])
        assert rejected != row["chosen"][0]["content"][0]["text"]
