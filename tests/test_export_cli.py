import json

import datasets
import pytest

from timewarp_hf.cli import main
from timewarp_hf.export import to_llava_hound
from timewarp_hf.mcq_benchmark import make_mcq_benchmark


def _pairs(video):
    rows = []
    for k, (true, shuffled) in enumerate(
        [("red first", "blue first"), ("blue last", "red last"), ("green middle", "green first")]
    ):
        rows.append(
            {
                "prompt": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "video", "text": None},
                            {"type": "text", "text": f"question {k}?"},
                        ],
                    }
                ],
                "chosen": [{"role": "assistant", "content": [{"type": "text", "text": true}]}],
                "rejected": [{"role": "assistant", "content": [{"type": "text", "text": shuffled}]}],
                "video": str(video),
                "video_id": "clip",
                "recipe": "explicit",
            }
        )
    return datasets.Dataset.from_list(rows).cast_column("video", datasets.Video())


def test_llava_hound_export_schema(counter_video):
    records = to_llava_hound(_pairs(counter_video))
    assert [r["id"] for r in records] == ["clip_0", "clip_1", "clip_2"]
    assert set(records[0]) == {
        "id",
        "video",
        "prompt",
        "answer",
        "chosen",
        "chosen_score",
        "rejected",
        "rejected_score",
    }
    assert (
        records[0]["prompt"] == "question 0?" and records[0]["answer"] == records[0]["chosen"] == "red first"
    )
    assert records[0]["rejected"] == "blue first" and records[0]["video"] == str(counter_video)


def test_mcq_benchmark_normal_and_shuffled(counter_video):
    pairs = _pairs(counter_video)
    normal = make_mcq_benchmark(pairs, "normal", num_options=3)
    shuffled = make_mcq_benchmark(pairs, "shuffled", num_options=3)
    assert len(normal) == len(shuffled) == 3
    for n, s in zip(normal, shuffled):
        assert n["options"] == s["options"] and n["question"] == s["question"]
        letters = "ABC"
        assert n["options"][letters.index(n["answer"])] in {"red first", "blue last", "green middle"}
        assert s["options"][letters.index(s["answer"])] in {"blue first", "red last", "green first"}
    with pytest.raises(ValueError, match="variant must be one of normal, shuffled"):
        make_mcq_benchmark(pairs, "reversed")


def test_build_command_saves_pairs_summary_and_llava_json(
    tmp_path, sample_videos, tiny_vlm, capsys, isolated_datasets_cache
):
    out = tmp_path / "pairs"
    code = main(
        [
            "build",
            "--base",
            str(sample_videos),
            "--captioner",
            tiny_vlm,
            "--warps",
            "reverse",
            "segment_swap",
            "--max-new-tokens",
            "6",
            "--max-similarity",
            "1.0",
            "--output",
            str(out),
            "--response-cache",
            str(tmp_path / "r.sqlite"),
            "--llava-hound",
            str(tmp_path / "lh.json"),
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    pairs = datasets.load_from_disk(out)
    assert printed["pairs"] == len(pairs) > 0
    assert json.loads((out / "timewarp_summary.json").read_text())["num_pairs"] == len(pairs)
    assert len(json.loads((tmp_path / "lh.json").read_text())) == len(pairs)
    assert {json.loads(w)["name"] for w in pairs["warp"]} <= {"reverse", "segment_swap"}


def test_build_command_reports_bad_config(tmp_path, isolated_datasets_cache):
    from timewarp_hf.config import TimeWarpConfigError

    with pytest.raises(TimeWarpConfigError, match="TimeWarpConfig.recipe='nope'"):
        main(
            [
                "build",
                "--base",
                str(tmp_path),
                "--recipe",
                "nope",
                "--captioner",
                "m",
                "--output",
                str(tmp_path / "o"),
            ]
        )
