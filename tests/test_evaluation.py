"""`timewarp eval`: benchmark adapters on tiny datasets in each benchmark's real schema, end-to-end runs
with tiny models (generation and option likelihood), resuming, comparing two runs, and bad input.

Each real benchmark is rebuilt in miniature as a local folder laid out like its Hub repo: a README whose
`configs:` name the same configs and splits, data files with the real column names and value formats, and
short synthetic videos where lmms-eval unpacks them. `datasets.load_dataset(folder, config, split=...)` then
loads it through the same call that loads the real Hub id.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pytest
import torch

from timewarp_hf.cli import main, run
from timewarp_hf.evaluation import (
    ADAPTERS,
    EvalArguments,
    compare_scores,
    format_scores,
    load_examples,
    load_scores,
    resolve_benchmark,
    run_eval,
)
from timewarp_hf.evaluation.likelihood import LikelihoodScorer, video_metadata
from timewarp_hf.generation.transformers_backend import TransformersBackend
from timewarp_hf.hub import eval_results_from_dict
from timewarp_hf.recipes.base import video_messages
from timewarp_hf.testing import (
    make_corrupt_video,
    make_synthetic_video,
    make_temporal_benchmark,
    make_tiny_lm,
    make_tiny_vlm,
)
from timewarp_hf.video import sample_frames

# ----------------------------------------------------------------------------------------- tiny benchmarks


def _hub_folder(root: Path, configs: dict[str | None, dict[str, list[dict]]]) -> Path:
    """A local folder laid out like a Hub dataset repo: ``{config: {split: rows}}`` as JSON Lines files
    declared in the README's ``configs`` (``None``: the default config)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["---", "configs:"]
    for config, splits in configs.items():
        name = config or "default"
        lines.append(f"- config_name: {name}")
        lines.append("  data_files:")
        for split, rows in splits.items():
            path = f"data/{name}-{split}.jsonl"
            (root / "data").mkdir(exist_ok=True)
            (root / path).write_text("".join(json.dumps(row) + "\n" for row in rows))
            lines += [f"  - split: {split}", f"    path: {path}"]
    (root / "README.md").write_text("\n".join([*lines, "---", ""]))
    return root


def _place(clip: Path, root: Path, *relative: str) -> None:
    for path in relative:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, root / path)


def _tempcompass(root: Path, clip: Path) -> Path:
    mc = [
        {
            "video_id": "1001",
            "question": "How fast does the square move?\nA. slower\nB. faster\nC. at normal speed",
            "answer": "B. faster",
            "dim": "speed",
        },
        {
            "video_id": "1002",
            "question": "Where does the square go?\nA. to the left\nB. to the right",
            "answer": "A. to the left",
            "dim": "direction",
        },
    ]
    yes_no = [
        {"video_id": "1001", "question": "Is the square moving faster?", "answer": "yes", "dim": "speed"},
        {"video_id": "1002", "question": "Does the square go right?", "answer": "no", "dim": "direction"},
    ]
    caption = [
        {
            "video_id": "1002",
            "question": "Which caption matches the video?\nCaption A: a square moves right\n"
            "Caption B: a square moves left",
            "answer": "Caption B: a square moves left",
            "dim": "direction",
        },
        {
            "video_id": "1001",
            "question": "Which sentence matches the video?\nSentence A: it speeds up\nSentence B: it slows down",
            "answer": "Sentence A: it speeds up",
            "dim": "speed",
        },
    ]
    _place(clip, root, "videos/1001.mp4", "videos/1002.mp4")
    configs = {"multi-choice": mc, "yes_no": yes_no, "caption_matching": caption, "captioning": mc}
    return _hub_folder(root, {name: {"test": rows} for name, rows in configs.items()})


def _mvbench(root: Path, clip: Path) -> Path:
    sequence = [
        {
            "video": "3A9GS.mp4",
            "question": "What did the person do first?",
            "candidates": ["Opened the door.", "Sat on the bed.", "Took the cup."],
            "answer": "Sat on the bed.",
        }
    ]
    direction = [
        {
            "video": "video_10009.mp4",
            "question": "Which direction does the cube move?",
            "candidates": ["up", "down", "left", "right"],
            "answer": "left",
        },
        {  # an answer that is not a candidate: counted and skipped, as lmms-eval can never score it
            "video": "video_10010.mp4",
            "question": "Which direction does the sphere move?",
            "candidates": ["up", "down"],
            "answer": "sideways",
        },
    ]
    # lmms-eval's layout for one clip; the other only findable by its file name (a different layout).
    _place(clip, root, "star/Charades_segment/3A9GS.mp4", "unpacked/clevrer/video_10009.mp4")
    return _hub_folder(
        root, {"action_sequence": {"train": sequence}, "moving_direction": {"train": direction}}
    )


def _videomme(root: Path, clip: Path) -> Path:
    rows = [
        {
            "video_id": "001",
            "duration": "short",
            "domain": "Knowledge",
            "sub_category": "Humanity & History",
            "url": "https://www.youtube.com/watch?v=fFjv93ACGo8",
            "videoID": "fFjv93ACGo8",
            "question_id": "001-1",
            "task_type": "Temporal Perception",
            "question": "When does the square reach the right edge?",
            "options": ["A. At the start.", "B. In the middle.", "C. At the end.", "D. Never."],
            "answer": "C",
        },
        {
            "video_id": "002",
            "duration": "medium",
            "domain": "Sports",
            "sub_category": "Football",
            "url": "https://www.youtube.com/watch?v=abcdefghijk",
            "videoID": "abcdefghijk",
            "question_id": "002-3",
            "task_type": "Counting Problem",
            "question": "How many squares are there?",
            "options": ["A. 1.", "B. 2.", "C. 3.", "D. 4."],
            "answer": "A",
        },
    ]
    _place(clip, root, "data/fFjv93ACGo8.mp4", "data/abcdefghijk.MP4")
    return _hub_folder(root, {None: {"test": rows}})


def _tvbench(root: Path, clip: Path) -> Path:
    antonym = [
        {
            "video": "antonym_1.mp4",
            "question": "What is the person doing?",
            "candidates": ["opening a box", "closing a box"],
            "answer": "closing a box",
        },
        {"video": "antonym_2.mp4", "question": "What happens?", "candidates": ["rise", "fall"], "answer": 0},
    ]
    count = [
        {"video": "count_1.mp4", "question": "How many times?", "candidates": ["1", "2", "3"], "answer": "C"},
        {
            "video": "count_1.mp4",
            "question": "How many flashes?",
            "candidates": ["1", "2", "3"],
            "answer": "2",
        },
    ]
    _place(
        clip, root, "action_antonym/antonym_1.mp4", "video/antonym_2.mp4", "videos/action_count/count_1.mp4"
    )
    return _hub_folder(root, {"action_antonym": {"train": antonym}, "action_count": {"train": count}})


def _vinoground(root: Path, clip: Path) -> Path:
    index = [
        f"{pair}_{polarity}_{kind}"
        for pair in (0, 1)
        for kind in ("text", "video")
        for polarity in ("pos", "neg")
    ]
    rows = [{"index": i, "major": "action" if i[0] == "0" else "object", "minor": "cyclical" if i[0] == "0" else None}
            for i in index]  # fmt: skip
    captions = ["the square moves right, then stops", "the square stops, then moves right"]
    text = [
        {
            "idx": f"{pair}_{polarity}",
            "video_name": f"vinoground_videos/{pair}_{polarity}.mp4",
            "question": f"Which caption best describes this video?\nA. {captions[0]}\nB. {captions[1]}",
            "GT": "A" if polarity == "pos" else "B",
        }
        for pair in (0, 1)
        for polarity in ("pos", "neg")
    ]
    video = [
        {
            "idx": f"{pair}_{polarity}",
            "video_name": f"vinoground_videos_concated/{pair}_{polarity}.mp4",
            "question": f"Which video segment matches this caption: {captions[polarity == 'neg']}?\n"
            "A. the first one\nB. the second one",
            "GT": "B" if polarity == "neg" else "A",
        }
        for pair in (0, 1)
        for polarity in ("pos", "neg")
    ]
    for folder, entries, name in (
        ("vinoground_videos", text, "vinoground_textscore.json"),
        ("vinoground_videos_concated", video, "vinoground_videoscore.json"),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(json.dumps(entries))
        _place(clip, root, *(e["video_name"] for e in entries))
    return _hub_folder(root, {None: {"lmmseval": rows}})


def _perceptiontest(root: Path, clip: Path) -> Path:
    rows = [
        {
            "video_name": "video_10909",
            "question": "Which object moves first?",
            "question_id": "0",
            "options": ["the cup", "the square", "the box"],
            "answer_id": "1",
            "area": "physics",
            "reasoning": "descriptive",
            "tag": ["motion"],
        },
        {
            "video_name": "video_2048",
            "question": "What is behind the box?",
            "question_id": "1",
            "options": ["a ball", "nothing", "a cup"],
            "answer_id": 2,
            "area": "memory",
            "reasoning": "explanatory",
            "tag": ["occlusion"],
        },
    ]
    _place(clip, root, "videos/video_10909.mp4", "videos/video_2048.mp4")
    return _hub_folder(root, {"mc_question_val": {"validation": rows}})


def _nextqa(root: Path, clip: Path) -> Path:
    options = ["walks away", "sits down", "jumps", "waves", "runs"]
    rows = [
        {
            "video": 4010069381,
            "frame_count": 8,
            "width": 64,
            "height": 64,
            "question": "what does the man do after standing up",
            "answer": 3,
            "qid": 6,
            "type": "TN",
            **{f"a{i}": text for i, text in enumerate(options)},
        },
        {
            "video": 4010069381,
            "frame_count": 8,
            "width": 64,
            "height": 64,
            "question": "why does the man wave",
            "answer": 0,
            "qid": 7,
            "type": "CW",
            **{f"a{i}": text for i, text in enumerate(options)},
        },
    ]
    _place(clip, root, "NExTVideo/4010069381.mp4")
    return _hub_folder(root, {"MC": {"test": rows}})


def _timewarp_mcq(root: Path, clip: Path) -> Path:
    from timewarp_hf.mcq_benchmark import make_mcq_benchmark

    def text(value: str) -> list[dict]:
        return [{"role": "assistant", "content": [{"type": "text", "text": value}]}]

    answers = [("red first", "blue first"), ("blue last", "red last"), ("green middle", "green first")]
    rows = [
        {
            "prompt": [
                {"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": q}]}
            ],
            "chosen": text(true),
            "rejected": text(shuffled),
            "video": str(clip),
            "video_id": "clip",
            "recipe": "explicit",
        }
        for q, (true, shuffled) in zip(
            ("What comes first?", "What comes last?", "What is in the middle?"), answers
        )
    ]
    pairs = datasets.Dataset.from_list(rows).cast_column("video", datasets.Video())
    make_mcq_benchmark(pairs, "normal", num_options=3).save_to_disk(str(root))
    return root


def _synthetic_temporal(root: Path, clip: Path) -> Path:
    make_temporal_benchmark(root, "test", pairs_per_type=1, question_types=("direction", "appearance"))
    return root


BUILDERS = {
    "tempcompass_multi_choice": _tempcompass,
    "tempcompass_yes_no": _tempcompass,
    "tempcompass_caption_matching": _tempcompass,
    "mvbench": _mvbench,
    "videomme": _videomme,
    "videomme_number_option": _videomme,
    "tvbench": _tvbench,
    "vinoground": _vinoground,
    "perceptiontest": _perceptiontest,
    "nextqa": _nextqa,
    "timewarp_mcq": _timewarp_mcq,
    "synthetic_temporal": _synthetic_temporal,
}

# What each adapter must make of the first row: (answer, options, category, prompt), and how many rows load.
EXPECTED = {
    "tempcompass_multi_choice": (
        "B",
        ["slower", "faster", "at normal speed"],
        "speed",
        "How fast does the square move?\nA. slower\nB. faster\nC. at normal speed"
        "\nPlease directly give the best option:",
        2,
    ),
    "tempcompass_yes_no": ("yes", [], "speed", "Is the square moving faster?\nPlease answer yes or no:", 2),
    "tempcompass_caption_matching": (
        "B",
        ["Caption A: a square moves right", "Caption B: a square moves left"],
        "direction",
        "Which caption matches the video?\nCaption A: a square moves right\nCaption B: a square moves left"
        "\nPlease directly give the best option:",
        2,
    ),
    "mvbench": (
        "B",
        ["Opened the door.", "Sat on the bed.", "Took the cup."],
        "action_sequence",
        "Question:What did the person do first?\nOption:\n(A) Opened the door.\n(B) Sat on the bed.\n"
        "(C) Took the cup.\nOnly give the best option.\n",
        2,
    ),
    "videomme": (
        "C",
        ["At the start.", "In the middle.", "At the end.", "Never."],
        "Temporal Perception",
        "Select the best answer to the following multiple-choice question based on the video and the "
        "subtitles. Respond with only the letter (A, B, C, or D) of the correct option.\n"
        "When does the square reach the right edge?\nA. At the start.\nB. In the middle.\nC. At the end.\n"
        "D. Never.\n\nAnswer with the option's letter from the given choices directly.",
        2,
    ),
    "videomme_number_option": (
        "C",
        ["At the start.", "In the middle.", "At the end.", "Never."],
        "Temporal Perception",
        "When does the square reach the right edge?\n1. At the start.\n2. In the middle.\n3. At the end.\n"
        "4. Never.\nAnswer with the option's number from the given choices directly.",
        2,
    ),
    "tvbench": (
        "B",
        ["opening a box", "closing a box"],
        "action_antonym",
        "What is the person doing?\nA. opening a box\nB. closing a box\nAnswer with the option letter only.",
        4,
    ),
    "vinoground": (
        "A",
        ["the square moves right, then stops", "the square stops, then moves right"],
        "action;cyclical",
        "Which caption best describes this video?\nA. the square moves right, then stops\n"
        "B. the square stops, then moves right\nPlease only output one English character.",
        8,
    ),
    "perceptiontest": (
        "B",
        ["the cup", "the square", "the box"],
        "physics",
        "Which object moves first?\nA. the cup\nB. the square\nC. the box\n"
        "Answer with the option's letter from the given choices directly.",
        2,
    ),
    "nextqa": (
        "D",
        ["walks away", "sits down", "jumps", "waves", "runs"],
        "temporal_next",
        "what does the man do after standing up\nA. walks away\nB. sits down\nC. jumps\nD. waves\nE. runs",
        2,
    ),
}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_synthetic_video(tmp_path_factory.mktemp("clip") / "clip.mp4", num_frames=8, fps=8)


@pytest.fixture(scope="module")
def benchmarks(tmp_path_factory, clip) -> dict[str, Path]:
    """Every benchmark in miniature, built once (the three TempCompass tasks share one repo)."""
    root = tmp_path_factory.mktemp("benchmarks")
    built: dict[Path, Path] = {}
    folders = {}
    for name, build in BUILDERS.items():
        key = root / build.__name__.strip("_")
        if key not in built:
            built[key] = build(key, clip)
        folders[name] = built[key]
    return folders


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    return str(make_tiny_vlm(tmp_path_factory.mktemp("tiny") / "qwen2_vl", "qwen2_vl"))


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_datasets_cache")
    monkeypatch.setattr(datasets.config, "HF_UPDATE_DOWNLOAD_COUNTS", False)


def _source(name: str, benchmarks: dict[str, Path]) -> dict[str, str | None]:
    """``benchmark``/``data`` arguments: real benchmarks by name from their local copy, ours by folder."""
    if ADAPTERS[name].hub_id is None:
        return {"benchmark": str(benchmarks[name]), "data": None}
    return {"benchmark": name, "data": str(benchmarks[name])}


# ------------------------------------------------------------------------------------------------ adapters


@pytest.mark.parametrize("name", list(EXPECTED))
def test_adapter_normalizes_the_real_schema(name, benchmarks):
    adapter, source = resolve_benchmark(**_source(name, benchmarks))
    loaded = load_examples(adapter, source)
    answer, options, category, prompt, count = EXPECTED[name]
    first = loaded.examples[0]
    assert (first.answer, first.options, first.category, first.prompt) == (answer, options, category, prompt)
    assert len(loaded.examples) == count and len({e.id for e in loaded.examples}) == count
    assert all(Path(e.video).is_file() for e in loaded.examples), [e.video for e in loaded.examples]
    assert loaded.invalid_rows == (1 if name == "mvbench" else 0)


def test_adapters_read_every_answer_format(benchmarks):
    """TVBench answers as text, index and letter; Video-MME's .MP4 file; Vinoground's pairs and types."""
    tv = load_examples(*resolve_benchmark("tvbench", str(benchmarks["tvbench"]))).examples
    assert [(e.answer, e.category) for e in tv] == [("B", "action_antonym"), ("A", "action_antonym"),
                                                    ("C", "action_count"), ("B", "action_count")]  # fmt: skip
    mme = load_examples(*resolve_benchmark("videomme", str(benchmarks["videomme"]))).examples
    assert mme[1].video.endswith("data/abcdefghijk.MP4") and mme[1].id == "002-3"
    vino = load_examples(*resolve_benchmark("vinoground", str(benchmarks["vinoground"]))).examples
    assert [(e.id, e.group, e.question_type, e.answer) for e in vino[:4]] == [
        ("0_pos_text", "0", "text", "A"),
        ("0_neg_text", "0", "text", "B"),
        ("0_pos_video", "0", "video", "A"),
        ("0_neg_video", "0", "video", "B"),
    ]
    assert vino[4].category == "object" and vino[2].video.endswith("vinoground_videos_concated/0_pos.mp4")
    ours = load_examples(*resolve_benchmark(str(benchmarks["synthetic_temporal"]))).examples
    assert {e.category for e in ours} == {"direction", "appearance"} and all(e.group for e in ours)
    assert ours[0].prompt.endswith("A. left to right\nB. right to left\n"
                                   "Answer with the option's letter from the given choices directly.")  # fmt: skip
    mcq = load_examples(*resolve_benchmark(str(benchmarks["timewarp_mcq"]))).examples
    assert len(mcq) == 3 and {e.category for e in mcq} == {"timewarp_normal"}


# ------------------------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("name", list(BUILDERS))
def test_eval_scores_a_tiny_model_on_every_benchmark(name, benchmarks, tiny, tmp_path):
    scores = run_eval(
        EvalArguments(model=tiny, output=str(tmp_path / "run"), max_new_tokens=4, **_source(name, benchmarks))
    )
    lines = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert scores["scored"] == scores["questions"] == len(lines) and not scores["failed_videos"]
    assert all({"id", "prediction", "answer", "category", "extracted", "correct"} <= set(r) for r in lines)
    written = json.loads((tmp_path / "run" / "scores.json").read_text())
    assert written["metrics"] == scores["metrics"] and written["benchmark"] == name
    if name == "vinoground":
        assert set(scores["metrics"]) >= {"text_score", "video_score", "group_score"}
        assert set(scores["per_category"]) == {"action", "cyclical", "object"}
    else:
        assert 0 <= scores["metrics"]["accuracy"] <= 1
        assert set(scores["per_category"]) == {r["category"] for r in lines}
        assert scores["metrics"]["accuracy"] == pytest.approx(sum(r["correct"] for r in lines) / len(lines))
    if name == "synthetic_temporal":
        assert "group_accuracy" in scores["metrics"]


@pytest.mark.parametrize(
    ("name", "mode"),
    [(name, "corrected") for name in BUILDERS]
    + [
        (name, "reference") for name in BUILDERS if ADAPTERS[name].rule != "generic"
    ],  # ours: no lmms-eval rule
)
def test_right_answers_score_full_marks_under_each_rule(name, mode, benchmarks, tiny, tmp_path, monkeypatch):
    """The gold answer, worded as the rule reads it, scores 100%; a wrong one 0%: prompts, golds and rules
    are wired together (an oracle stands in for the model)."""
    from timewarp_hf.evaluation import runner
    from timewarp_hf.metrics.extraction import BENCHMARKS as RULES

    numbered = ADAPTERS[name].rule in RULES and RULES[ADAPTERS[name].rule].numbered  # shown as 1, 2, 3...
    for shift, expected in ((0, 1.0), (1, 0.0)):

        def oracle(model, processor, args, adapter, shift=shift):
            def answer(examples, clips):
                records = []
                for e in examples:
                    if e.answer in ("yes", "no"):
                        text = ("yes", "no")[("yes", "no").index(e.answer) ^ shift]
                        text = text if mode == "reference" else f"{text.capitalize()}, it does."
                    else:
                        index = ("ABCDEFGH".index(e.answer) + shift) % max(len(e.options), 2)
                        letter = str(index + 1) if numbered else "ABCDEFGH"[index]
                        text = letter if mode == "reference" else f"The answer is ({letter})."
                    records.append(runner._record(e, "generate", e.prompt, prediction=text))
                return records

            return answer

        monkeypatch.setattr(runner, "_generate_answerer", oracle)
        out = tmp_path / str(shift)
        scores = run_eval(EvalArguments(model=tiny, mode=mode, output=str(out), **_source(name, benchmarks)))
        headline = ("text_score", "video_score", "group_score") if name == "vinoground" else ("accuracy",)
        assert [scores["metrics"][h] for h in headline] == [expected] * len(headline), scores["metrics"]
        assert scores["metrics"]["unparsed_rate"] == 0.0


def _direct_logprob(model, processor, scorer, prompt: str, frames, fps: float, option: str) -> float:
    """The option's summed log-probability from one forward pass over prompt + option (no batching)."""
    text = scorer.render(video_messages(prompt)) + option
    inputs = processor(
        text=[text],
        videos=[frames],
        video_metadata=[video_metadata(frames, fps)],
        do_sample_frames=False,
        add_special_tokens=False,
        return_tensors="pt",
    )
    count = len(processor.tokenizer(option, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(**inputs).logits[0].float(), dim=-1)
    ids = inputs["input_ids"][0]
    end = ids.shape[0]
    return sum(logprobs[end - count - 1 + j, ids[end - count + j]].item() for j in range(count))


@pytest.mark.parametrize("family", ["qwen2_vl", "qwen2_5_vl", "qwen3_vl", "llava_onevision", "smolvlm"])
def test_likelihood_equals_a_direct_computation_and_follows_the_model(family, clip, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    path = make_tiny_vlm(tmp_path / family, family)
    model, processor = (
        AutoModelForImageTextToText.from_pretrained(path).eval(),
        AutoProcessor.from_pretrained(path),
    )
    scorer = LikelihoodScorer(model, processor)
    frames = sample_frames(clip, num_frames=8)
    options = ["left to right", "right to left", "zz"]
    scores = scorer.score(video_messages("Which way?"), frames.data, 2.0, options)
    direct = [_direct_logprob(model, processor, scorer, "Which way?", frames.data, 2.0, o) for o in options]
    assert scores == pytest.approx(direct, abs=1e-4)
    assert scorer.score(video_messages("Which way?"), frames.data, 2.0, options) == scores  # deterministic
    # Make the model prefer the letter "q" at every position: the option made of it must win.
    q = processor.tokenizer.convert_tokens_to_ids("q")

    def prefer_q(module, inputs, output):
        output[..., q] += 50.0
        return output

    handle = model.get_output_embeddings().register_forward_hook(prefer_q)
    try:
        biased = scorer.score(
            video_messages("Which way?"), frames.data, 2.0, ["left to right", "qqqq qqqq", "zz"]
        )
    finally:
        handle.remove()
    assert max(range(3), key=biased.__getitem__) == 1


def test_likelihood_run_picks_the_most_likely_option(benchmarks, tiny, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    source = _source("synthetic_temporal", benchmarks)
    runs = []
    for k in range(2):
        scores = run_eval(
            EvalArguments(model=tiny, scoring="likelihood", output=str(tmp_path / f"run{k}"), **source)
        )
        runs.append([json.loads(line) for line in (tmp_path / f"run{k}" / "predictions.jsonl").open()])
    first, second = runs
    assert [(r["prediction"], r["option_logprobs"]) for r in first] == [
        (r["prediction"], r["option_logprobs"]) for r in second
    ]  # deterministic
    for record in first:
        logprobs = record["option_logprobs"]
        assert record["prediction"] == "ABCDEFGH"[logprobs.index(max(logprobs))] == record["extracted"]
        assert record["scoring"] == "likelihood" and record["prompt"] == record["question"]
    assert scores["scoring"] == "likelihood" and set(scores["model_index"]["synthetic_temporal"]) == {
        "accuracy_likelihood",
        "group_accuracy_likelihood",
    }
    # The harness's numbers are the model's: recompute one question directly.
    model, processor = (
        AutoModelForImageTextToText.from_pretrained(tiny).eval(),
        AutoProcessor.from_pretrained(tiny),
    )
    example = load_examples(*resolve_benchmark(source["benchmark"])).examples[0]
    frames = sample_frames(example.video, num_frames=8)
    fps = frames.presentation_fps
    assert fps == 8.0  # every frame of an 8 fps clip: shown at its own rate
    scorer = LikelihoodScorer(model, processor)
    direct = [
        _direct_logprob(model, processor, scorer, example.question, frames.data, fps, o)
        for o in example.options
    ]
    assert first[0]["option_logprobs"] == pytest.approx(direct, abs=1e-4)


def test_adapter_is_applied_as_peft_computes_it(benchmarks, tiny, tmp_path):
    """``--adapter`` changes the model, and the merged adapter answers as the unmerged PEFT model does."""
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForImageTextToText, AutoProcessor

    torch.manual_seed(0)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForImageTextToText.from_pretrained(tiny), lora).save_pretrained(
        tmp_path / "adapter"
    )
    source = _source("synthetic_temporal", benchmarks)
    logprobs = []
    for adapter in (None, str(tmp_path / "adapter")):
        out = tmp_path / f"run-{adapter is None}"
        run_eval(
            EvalArguments(
                model=tiny, adapter=adapter, scoring="likelihood", output=str(out), limit=2, **source
            )
        )
        logprobs.append([json.loads(line)["option_logprobs"] for line in (out / "predictions.jsonl").open()])
    assert logprobs[0] != logprobs[1]
    peft_model = PeftModel.from_pretrained(
        AutoModelForImageTextToText.from_pretrained(tiny), tmp_path / "adapter"
    )
    scorer = LikelihoodScorer(peft_model.eval(), AutoProcessor.from_pretrained(tiny))
    example = load_examples(*resolve_benchmark(source["benchmark"])).examples[0]
    frames = sample_frames(example.video, num_frames=8)
    unmerged = scorer.score(
        video_messages(example.question), frames.data, frames.presentation_fps, example.options
    )
    assert logprobs[1][0] == pytest.approx(unmerged, abs=1e-4)


# ------------------------------------------------------------------------------------------------- resume


class _CountingGenerate:
    """Counts the questions the model is asked; optionally fails on its ``fail_on``-th call (a crash)."""

    def __init__(self, monkeypatch, fail_on: int | None = None):
        self.asked, self.calls, self.fail_on = 0, 0, fail_on
        original = TransformersBackend.generate

        def generate(backend, requests):
            self.calls += 1
            if self.calls == self.fail_on:
                raise RuntimeError("simulated crash")
            self.asked += len(requests)
            return original(backend, requests)

        monkeypatch.setattr(TransformersBackend, "generate", generate)


def _args(tiny, benchmarks, out: Path, **extra) -> EvalArguments:
    return EvalArguments(
        model=tiny,
        output=str(out),
        batch_size=2,
        max_new_tokens=3,
        **_source("synthetic_temporal", benchmarks),
        **extra,
    )


def test_resume_after_a_limited_run_asks_nothing_twice(benchmarks, tiny, tmp_path, monkeypatch):
    full = run_eval(_args(tiny, benchmarks, tmp_path / "full"))
    counter = _CountingGenerate(monkeypatch)
    partial = run_eval(_args(tiny, benchmarks, tmp_path / "resumed", limit=2))
    assert counter.asked == 2 and partial["questions"] == 2
    resumed = run_eval(_args(tiny, benchmarks, tmp_path / "resumed"))
    assert counter.asked == full["questions"] == 4
    assert (resumed["metrics"], resumed["per_category"]) == (full["metrics"], full["per_category"])
    again = run_eval(_args(tiny, benchmarks, tmp_path / "resumed"))  # nothing left: only rescored
    assert counter.asked == 4 and again["metrics"] == full["metrics"]
    lines = (tmp_path / "resumed" / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == len({json.loads(line)["id"] for line in lines}) == 4


def test_resume_after_a_crash_and_a_cut_line(benchmarks, tiny, tmp_path, monkeypatch):
    full = run_eval(_args(tiny, benchmarks, tmp_path / "full"))
    counter = _CountingGenerate(monkeypatch, fail_on=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_eval(_args(tiny, benchmarks, tmp_path / "crashed"))
    predictions = tmp_path / "crashed" / "predictions.jsonl"
    assert len(predictions.read_text().splitlines()) == 2  # the first batch was saved before the crash
    with predictions.open("a") as handle:
        handle.write('{"id": "test-direction-000-rev", "predic')  # killed in the middle of a write
    counter.fail_on = None
    resumed = run_eval(_args(tiny, benchmarks, tmp_path / "crashed"))
    assert counter.asked == 4 and resumed["metrics"] == full["metrics"]
    assert [json.loads(line)["id"] for line in predictions.read_text().splitlines()] == [
        json.loads(line)["id"] for line in (tmp_path / "full" / "predictions.jsonl").read_text().splitlines()
    ]


def test_unreadable_videos_are_counted_and_retried(tiny, tmp_path, monkeypatch):
    folder = tmp_path / "bench"
    make_temporal_benchmark(folder, "test", pairs_per_type=1, question_types=("direction",))
    make_corrupt_video(folder / "direction-000-rev.mp4", "text")
    (folder / "direction-000-fwd.mp4").unlink()
    counter = _CountingGenerate(monkeypatch)
    args = EvalArguments(model=tiny, benchmark=str(folder), output=str(tmp_path / "run"), max_new_tokens=2)
    scores = run_eval(args)
    assert scores["failed_videos"] == {"missing": 1, "unreadable": 1} and scores["scored"] == 0
    assert scores["metrics"] == {} and counter.asked == 0
    make_synthetic_video(folder / "direction-000-fwd.mp4", num_frames=8)  # the file arrives
    scores = run_eval(args)
    assert scores["failed_videos"] == {"unreadable": 1} and scores["scored"] == 1 and counter.asked == 1
    errors = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").open() if "error" in line]
    assert len(errors) == 1 and errors[0]["error_kind"] == "unreadable"


def test_a_run_with_other_settings_is_not_mixed_in(benchmarks, tiny, tmp_path):
    run_eval(_args(tiny, benchmarks, tmp_path / "run", limit=2))
    with pytest.raises(ValueError, match="num_frames: 8 then, 6 now"):
        run_eval(_args(tiny, benchmarks, tmp_path / "run", num_frames=6))


def test_vinoground_leaves_incomplete_pairs_out(benchmarks, tiny, tmp_path):
    scores = run_eval(EvalArguments(model=tiny, limit=5, output=str(tmp_path), max_new_tokens=2,
                                    **_source("vinoground", benchmarks)))  # fmt: skip
    assert scores["incomplete_pairs"] == 1 and scores["scored"] == 4


# ------------------------------------------------------------------------------------------- compare, CLI


def _scores_file(path: Path, benchmark: str, accuracy: float, per_category: dict, scoring="generate") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    scores = {
        "benchmark": benchmark,
        "scoring": scoring,
        "metrics": {"accuracy": accuracy, "unparsed_rate": 0.0},
        "per_category": per_category,
        "model_index": {"tempcompass": {"multi_choice_accuracy": round(100 * accuracy, 2)}},
    }
    (path / "scores.json").write_text(json.dumps(scores))
    return path / "scores.json"


def test_compare_prints_the_table_and_writes_the_card_results(tmp_path, capsys):
    base = _scores_file(tmp_path / "base", "tempcompass_multi_choice", 0.5, {"speed": 0.4, "direction": 0.6})
    tuned = _scores_file(
        tmp_path / "tuned", "tempcompass_multi_choice", 0.625, {"speed": 0.55, "direction": 0.7}
    )
    table, results = compare_scores(load_scores(base), load_scores(tmp_path / "tuned"))
    assert "| tempcompass_multi_choice | accuracy | 50.0 | 62.5 | +12.5 |" in table
    assert "| tempcompass_multi_choice | speed | 40.0 | 55.0 | +15.0 |" in table
    assert results == {"tempcompass": {"multi_choice_accuracy": 62.5}}
    entries = eval_results_from_dict(results)
    assert entries[0].dataset_type == "lmms-eval/TempCompass" and entries[0].metric_value == 62.5
    assert main(["compare", str(base), str(tuned), "--output", str(tmp_path / "card.json")]) == 0
    assert "| direction | 60.0 | 70.0 | +10.0 |" in capsys.readouterr().out
    assert json.loads((tmp_path / "card.json").read_text()) == results


def test_compare_real_runs_and_flags_different_scorings(benchmarks, tiny, tmp_path):
    source = _source("synthetic_temporal", benchmarks)
    run_eval(EvalArguments(model=tiny, output=str(tmp_path / "a" / "x"), max_new_tokens=2, **source))
    run_eval(EvalArguments(model=tiny, output=str(tmp_path / "b" / "x"), scoring="likelihood", **source))
    table, results = compare_scores(load_scores(tmp_path / "a"), load_scores(tmp_path / "b"))
    assert (
        "| synthetic_temporal | direction |" in table and "| synthetic_temporal | group_accuracy |" in table
    )
    assert "scored by generate (base) and likelihood (tuned)" in table
    assert set(results["synthetic_temporal"]) == {"accuracy_likelihood", "group_accuracy_likelihood"}


def test_cli_runs_and_prints_the_category_table(benchmarks, tiny, tmp_path, capsys):
    argv = ["eval", "--model", tiny, "--benchmark", "tvbench", "--data", str(benchmarks["tvbench"]),
            "--subset", "action_count", "--output", str(tmp_path), "--max-new-tokens", "2", "--num-frames", "4"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "tvbench: 2 of 2 questions scored (generate, corrected reading)" in out
    assert "| action_count | 2 |" in out and "| **all** | 2 |" in out
    assert json.loads((tmp_path / "eval_config.json").read_text())["num_frames"] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--benchmark", "tempcompas"],
            "Unknown benchmark 'tempcompas'; accepted: tempcompass_multi_choice, ",
        ),
        (["--benchmark", "mvbench", "--adapter", "/no/such/adapter"], "no PEFT adapter there"),
        (["--benchmark", "mvbench", "--data", "/no/such/folder"], "--data /no/such/folder: no such folder"),
        (["--benchmark", "timewarp_mcq"], "timewarp_mcq has no Hub copy"),
        (
            ["--benchmark", "mvbench", "--video-dir", "/no/videos"],
            "the video folder /no/videos does not exist",
        ),
        (["--benchmark", "nextqa", "--scoring", "beam"], "invalid choice: 'beam'"),
        (["--benchmark", "nextqa", "--num-frames", "1"], "num_frames and max_frames must be >= 2"),
        ([], "the following arguments are required: --benchmark"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(argv, message, tiny, capsys):
    try:
        code = run(["eval", "--model", tiny, *argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_compare_needs_both_runs(capsys):
    with pytest.raises(SystemExit):
        run(["compare", "base.json"])
    assert "the following arguments are required: TUNED" in capsys.readouterr().err


def test_bad_data_is_refused_before_the_model_loads(benchmarks, tiny, tmp_path):
    with pytest.raises(
        ValueError, match="does not have videomme's schema: columns \\['videoID', 'question_id'"
    ):
        run_eval(EvalArguments(model=tiny, benchmark="videomme", data=str(benchmarks["nextqa"])))
    with pytest.raises(ValueError, match="none of mvbench's subsets"):
        run_eval(EvalArguments(model=tiny, benchmark="mvbench", data=str(benchmarks["nextqa"])))
    with pytest.raises(ValueError, match="unknown mvbench subset\\(s\\) \\['speed'\\]"):
        run_eval(
            EvalArguments(model=tiny, benchmark="mvbench", data=str(benchmarks["mvbench"]), subsets=["speed"])
        )
    with pytest.raises(ValueError, match="has no lmms-eval rule to reproduce"):
        run_eval(EvalArguments(model=tiny, benchmark=str(benchmarks["synthetic_temporal"]), mode="reference"))
    with pytest.raises(ValueError, match="cannot tell which benchmark"):
        run_eval(EvalArguments(model=tiny, benchmark=str(tmp_path)))
    lm = make_tiny_lm(tmp_path / "lm", "qwen2")
    with pytest.raises(ValueError, match="not a Video-LLM"):
        run_eval(
            EvalArguments(
                model=str(lm), benchmark=str(benchmarks["synthetic_temporal"]), output=str(tmp_path / "o")
            )
        )
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no scores.json"):
        load_scores(tmp_path / "empty")


# ----------------------------------------------------------------------------------------- real layouts


def _tvbench_windows(root: Path, clip: Path) -> Path:
    """TVBench's action_sequence/action_localization rows carry ``start``/``end`` seconds of a longer
    clip (as in the benchmark's JSON files); action_antonym's NTU RGB+D clip is absent."""
    sequence = [
        {
            "video": "1HGEX.mp4",
            "question": "What did the person do first?",
            "candidates": ["opened the door", "sat down"],
            "answer": "sat down",
            "start": 0.5,
            "end": 1.0,
        },
        {
            "video": "1HGEX.mp4",
            "question": "What did the person do first?",
            "candidates": ["opened the door", "sat down"],
            "answer": "opened the door",
            "start": 0.0,
            "end": 0.5,
        },
    ]
    localization = [
        {
            "video": "6IL0C.mp4",
            "question": "When does the person open the door?",
            "candidates": ["at the beginning", "at the end"],
            "answer": "at the end",
            "start": 0.25,
            "end": 0.75,
        }
    ]
    antonym = [
        {
            "video": "S001C001P003R001A008_rgb.avi",
            "question": "What is the person doing?",
            "candidates": ["standing up", "sitting down"],
            "answer": "standing up",
        }
    ]
    _place(clip, root, "video/action_sequence/1HGEX.mp4", "video/action_localization/6IL0C.mp4")
    configs = {"action_sequence": sequence, "action_localization": localization, "action_antonym": antonym}
    return _hub_folder(root, {name: {"train": rows} for name, rows in configs.items()})


def test_tvbench_windows_are_sampled_inside(tmp_path, clip):
    root = _tvbench_windows(tmp_path / "tvbench", clip)
    loaded = load_examples(*resolve_benchmark("tvbench", str(root)))
    by_subset = {(e.category, e.answer): e for e in loaded.examples}
    late = by_subset[("action_sequence", "B")]
    assert (late.start, late.end) == (0.5, 1.0)
    assert (by_subset[("action_localization", "B")].start, by_subset[("action_localization", "B")].end) == (
        0.25,
        0.75,
    )
    assert by_subset[("action_antonym", "A")].start is None  # a subtask without windows
    assert len({e.id for e in loaded.examples}) == 4  # one clip asked about in two windows: two ids
    # the 8-frame, 8 fps clip: frames of [0.5, 1.0] s are its second half, [0, 0.5] its first
    inside = sample_frames(late.video, num_frames=2, start=late.start, end=late.end).indices
    early = by_subset[("action_sequence", "A")]
    before = sample_frames(early.video, num_frames=2, start=early.start, end=early.end).indices
    assert min(inside) >= 4 and max(before) <= 4


def test_eval_samples_the_window_and_explains_missing_antonym_videos(tmp_path, clip, tiny, monkeypatch):
    import timewarp_hf.video as video  # the runner imports sample_frames from here when it decodes

    root = _tvbench_windows(tmp_path / "tvbench", clip)
    seen = []

    original = video.sample_frames

    def spy(source, **kwargs):
        seen.append((Path(str(source)).name, kwargs.get("start"), kwargs.get("end")))
        return original(source, **kwargs)

    monkeypatch.setattr(video, "sample_frames", spy)
    scores = run_eval(
        EvalArguments(
            model=tiny, benchmark="tvbench", data=str(root), output=str(tmp_path / "run"), max_new_tokens=2
        )
    )
    assert ("1HGEX.mp4", 0.5, 1.0) in seen and ("6IL0C.mp4", 0.25, 0.75) in seen
    assert scores["failed_videos"] == {"missing": 1} and scores["missing_videos"] == {"action_antonym": 1}
    assert "NTU RGB+D" in scores["missing_video_hints"]["action_antonym"]
    records = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    error = next(r["error"] for r in records if "error" in r)
    assert "NTU RGB+D" in error and "video/action_antonym/" in error
    assert [r["window"] for r in records if r["category"] == "action_localization"] == [[0.25, 0.75]]


def test_vinoground_is_found_in_the_hub_repository_layout(tmp_path, clip):
    """The Hub repository's own layout: the question JSONs at its root, videos in the two folders."""
    nested = _vinoground(tmp_path / "nested", clip)
    flat = tmp_path / "flat"
    shutil.copytree(nested, flat)
    for folder, name in (
        ("vinoground_videos", "vinoground_textscore.json"),
        ("vinoground_videos_concated", "vinoground_videoscore.json"),
    ):
        (flat / folder / name).rename(flat / name)
    expected = [
        (e.id, e.answer, Path(e.video).name)
        for e in load_examples(*resolve_benchmark("vinoground", str(nested))).examples
    ]
    found = load_examples(*resolve_benchmark("vinoground", str(flat))).examples
    assert [(e.id, e.answer, Path(e.video).name) for e in found] == expected and len(found) == 8
    assert all(Path(e.video).is_file() for e in found)
    (flat / "vinoground_textscore.json").unlink()
    with pytest.raises(
        ValueError, match="vinoground_videos/vinoground_textscore.json or vinoground_textscore.json"
    ):
        load_examples(*resolve_benchmark("vinoground", str(flat)))


def test_mvbench_finds_files_by_name_only_in_their_subtasks_folder(tmp_path, clip):
    """clevrer and perception both name clips video_<n>.mp4: a file found by name comes from its own
    subtask's folder, never from another's; the missing-videos hint names the `video` branch."""
    other = make_synthetic_video(tmp_path / "other.mp4", num_frames=6, fps=6)
    direction = [
        {"video": "video_10009.mp4", "question": "Which way?", "candidates": ["up", "down"], "answer": "up"}
    ]
    count = [{"video": "video_10009.mp4", "question": "How many?", "candidates": ["1", "2"], "answer": "2"}]
    root = tmp_path / "mvbench"
    # both in a layout other than lmms-eval's, so both are looked up by name
    _place(clip, root, "extracted/clevrer/video_validation/video_10009.mp4")
    _place(other, root, "extracted/perception/videos/video_10009.mp4")
    _hub_folder(root, {"moving_direction": {"train": direction}, "action_count": {"train": count}})
    loaded = load_examples(*resolve_benchmark("mvbench", str(root)))
    videos = {e.category: Path(e.video).relative_to(root).as_posix() for e in loaded.examples}
    assert videos == {
        "moving_direction": "extracted/clevrer/video_validation/video_10009.mp4",
        "action_count": "extracted/perception/videos/video_10009.mp4",
    }
    (root / "extracted/perception/videos/video_10009.mp4").unlink()
    loaded = load_examples(*resolve_benchmark("mvbench", str(root)))
    assert loaded.missing_videos == {"action_count": 1}  # not taken from clevrer's folder
    assert "--revision video" in loaded.missing_video_hints["action_count"]
    with pytest.raises(ValueError, match="--revision video"):
        load_examples(*resolve_benchmark("mvbench"), video_dir=str(tmp_path / "absent"))


def test_perception_test_ids_are_unique_across_videos(tmp_path, clip):
    rows = [
        {"video_name": f"video_{n}", "question": "Which moves first?", "question_id": "0",
         "options": ["a", "b", "c"], "answer_id": 1, "area": "physics"}
        for n in (1, 2)
    ]  # fmt: skip
    root = tmp_path / "pt"
    _place(clip, root, "videos/video_1.mp4", "videos/video_2.mp4")
    _hub_folder(root, {"mc_question_val": {"validation": rows}})
    examples = load_examples(*resolve_benchmark("perceptiontest", str(root))).examples
    assert [e.id for e in examples] == ["video_1/0", "video_2/0"]


def test_scores_record_the_dataset_revision_and_rows(tmp_path, benchmarks, tiny, monkeypatch):
    """A local copy made by `hf download --local-dir` records its commit; scores.json says which one and
    how many rows it had; the Hub id's commit is read from the local Hub cache offline."""
    from timewarp_hf.evaluation.provenance import dataset_revision

    commit = "0123456789abcdef0123456789abcdef01234567"
    copy = tmp_path / "videomme"
    shutil.copytree(benchmarks["videomme"], copy)
    meta = copy / ".cache" / "huggingface" / "download" / "data"
    meta.mkdir(parents=True)
    (meta / "videomme-test.jsonl.metadata").write_text(f"{commit}\nabc\n1700000000.0\n")
    scores = run_eval(
        EvalArguments(
            model=tiny, benchmark="videomme", data=str(copy), output=str(tmp_path / "run"), max_new_tokens=2
        )
    )
    assert scores["dataset"]["revision"] == commit and scores["dataset"]["rows"] == 2
    assert scores["dataset"]["id"] == "lmms-eval/Video-MME" and scores["dataset"]["split"] == "test"
    written = json.loads((tmp_path / "run" / "scores.json").read_text())
    assert written["model_index_datasets"]["videomme"] == {
        "id": "lmms-eval/Video-MME", "config": None, "split": "test", "revision": commit, "rows": 2
    }  # fmt: skip
    from timewarp_hf.evaluation import run_compare

    run_compare(tmp_path / "run", tmp_path / "run", output=tmp_path / "card.json")
    sidecar = json.loads((tmp_path / "card.datasets.json").read_text())
    assert sidecar["videomme"]["revision"] == commit and sidecar["videomme"]["rows"] == 2
    assert set(json.loads((tmp_path / "card.json").read_text())) == {"videomme"}  # what hub reads, unchanged
    assert dataset_revision(str(benchmarks["videomme"])) is None  # a folder made by hand: unknown
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    refs = cache / "datasets--OpenGVLab--MVBench" / "refs"
    refs.mkdir(parents=True)
    (refs / "video").write_text(commit[::-1])
    assert dataset_revision("OpenGVLab/MVBench", "video") == commit[::-1]
    assert dataset_revision("OpenGVLab/MVBench") is None  # main was never resolved here


# -------------------------------------------------------------------------------------- temporal probes


def test_probe_orders_come_from_the_package_warps():
    from timewarp_hf.evaluation.probes import probe_indices

    frames = [0, 3, 6, 9, 12, 15, 18, 21]
    assert probe_indices("reverse", frames, "q1") == frames[::-1]
    shuffled = probe_indices("shuffle", frames, "q1")
    assert sorted(shuffled) == frames and shuffled != frames
    assert shuffled == probe_indices("shuffle", frames, "q1")  # seeded by the question id
    frozen = probe_indices("freeze", frames, "q1")
    assert len(frozen) == len(frames) and len(set(frozen)) == len(frames) - 3
    assert probe_indices("single_frame", frames, "q1") == [0] * len(frames)
    with pytest.raises(ValueError, match="Unknown probe"):
        EvalArguments(model="m", benchmark="b", probe="mirror")


def test_temporal_sensitivity_metric_per_category():
    from timewarp_hf.metrics import load_metric

    result = load_metric("temporal_sensitivity", keep_in_memory=True).compute(
        predictions=["A", "B", "A", "B"],
        probed_predictions=["B", "A", "A", None],
        references=["A", "B", "A", "B"],
        categories=["direction", "direction", "appearance", "appearance"],
    )
    assert (result["accuracy"], result["probed_accuracy"], result["drop"], result["flip_rate"]) == (
        1.0,
        0.25,
        0.75,
        0.75,
    )
    assert result["per_category"]["direction"] == {
        "accuracy": 1.0,
        "probed_accuracy": 0.0,
        "drop": 1.0,
        "flip_rate": 1.0,
    }
    assert result["per_category"]["appearance"]["flip_rate"] == 0.5  # an unreadable answer is a flip


@pytest.mark.parametrize("scoring", ["generate", "likelihood"])
def test_eval_probe_scores_the_same_questions_on_warped_frames(scoring, tmp_path, tiny, monkeypatch):
    """An oracle that reads order: right on true frames, wrong on reversed frames for order questions
    only. The probe must show it the exact reversal, and report the drop and flips on those questions."""
    from timewarp_hf.evaluation import run_compare, runner

    bench = tmp_path / "bench"
    make_temporal_benchmark(bench, "test", pairs_per_type=1, question_types=("direction", "appearance"))
    seen: dict[str, torch.Tensor] = {}

    def oracle(examples, clips):
        records = []
        for e, c in zip(examples, clips):
            if e.id not in seen:  # the true frames come first
                seen[e.id] = c.data
                letter = e.answer
            else:
                assert torch.equal(c.data, seen[e.id].flip(0))  # the probe showed the exact reversal
                letter = e.answer if e.category == "appearance" else "AB"[1 - "AB".index(e.answer)]
            records.append(
                runner._record(
                    e, scoring, e.prompt, prediction=f"({letter})" if scoring == "generate" else letter
                )
            )
        return records

    monkeypatch.setattr(runner, "_generate_answerer", lambda *a, **k: oracle)
    monkeypatch.setattr(runner, "_likelihood_answerer", lambda *a, **k: oracle)
    out = tmp_path / "run"
    args = EvalArguments(model=tiny, benchmark=str(bench), output=str(out), scoring=scoring, probe="reverse")
    scores = run_eval(args)
    probe = scores["probe"]
    assert probe["warp"] == "reverse" and probe["questions"] == scores["scored"] == 4
    assert (probe["accuracy"], probe["probed_accuracy"], probe["drop"], probe["flip_rate"]) == (
        1.0,
        0.5,
        0.5,
        0.5,
    )
    assert (
        probe["per_category"]["direction"]["drop"] == 1.0
        and probe["per_category"]["appearance"]["drop"] == 0.0
    )
    assert scores["metrics"]["reverse_drop"] == 0.5 and scores["metrics"]["reverse_flip_rate"] == 0.5
    suffix = "_likelihood" if scoring == "likelihood" else ""
    assert scores["model_index"]["synthetic_temporal"][f"reverse_drop{suffix}"] == 50.0
    records = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert all("probe_prediction" in r and "probe_correct" in r and r["probe_indices"] for r in records)
    assert "temporal sensitivity (reverse probe" in format_scores(scores)
    # a re-run answers nothing again; a run without the probe into the same folder is refused
    seen.clear()
    again = run_eval(args)
    assert not seen and again["probe"]["drop"] == 0.5
    with pytest.raises(ValueError, match="probe"):
        run_eval(EvalArguments(model=tiny, benchmark=str(bench), output=str(out), scoring=scoring))
    # --compare shows the probe's numbers for base vs tuned
    table = run_compare(out / "scores.json", out / "scores.json")
    assert "| synthetic_temporal | reverse_drop | 50.0 | 50.0 | +0.0 |" in table
