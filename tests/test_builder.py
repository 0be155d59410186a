import json
import os
import shutil
import sqlite3

import datasets
import pytest
from datasets import load_dataset

import timewarp_hf  # noqa: F401  (registers "timewarp")
from timewarp_hf.config import TimeWarpConfigError
from timewarp_hf.testing import CORRUPT_KINDS, make_corrupt_video, make_sample_videos
from timewarp_hf.timewarp import SUMMARY_FILE, NoPairsError, TimeWarpBuilder

from .pairs import build_summary, pair_texts
from .servers import transformers_serve

FAST = {"max_new_tokens": 6, "generation_batch_size": 8}


def _load(base, tmp_path, **kwargs):
    options = {"response_cache": str(tmp_path / "responses.sqlite"), **FAST, **kwargs}
    return load_dataset("timewarp", base=str(base), split="train", **options)


def test_warped_build_rows_follow_the_schema(tmp_path, sample_videos, tiny_vlm, isolated_datasets_cache):
    ds = _load(sample_videos, tmp_path, captioner=tiny_vlm, max_similarity=1.0)
    summary = build_summary(ds)
    assert summary["videos_seen"] == 3 and summary["skipped"] == {}
    assert len(ds) == summary["num_pairs"] > 0
    assert sum(summary["pairs"].values()) + sum(summary["filtered"].values()) == 3 * 4  # 4 warps per video
    row = ds[0]
    assert row["prompt"][0]["role"] == "user" and row["prompt"][0]["content"][0]["type"] == "video"
    assert row["chosen"][0]["role"] == "assistant" and row["rejected"][0]["role"] == "assistant"
    warp = json.loads(row["warp"])
    assert warp["name"] in {"reverse", "scene_shuffle", "segment_swap", "local_shuffle"}
    assert sorted(warp["indices"]) == sorted(row["frame_indices"]) and len(row["frame_indices"]) == 8
    assert row["recipe"] == "warped" and row["fps"] == 8.0 and str(sample_videos) in row["source"]
    assert row["generator"].startswith(f"transformers:{tiny_vlm}")
    decoder = row["video"]  # the ORIGINAL video, as a datasets Video value
    assert decoder.metadata.num_frames == 24
    assert (isolated_datasets_cache / "timewarp").is_dir()
    summary_file = next(isolated_datasets_cache.rglob(SUMMARY_FILE))
    assert json.loads(summary_file.read_text())["num_pairs"] == len(ds)


def test_implicit_build(tmp_path, sample_videos, tiny_vlm, isolated_datasets_cache):
    ds = _load(sample_videos, tmp_path, recipe="implicit", captioner=tiny_vlm, max_similarity=1.0)
    kinds = {json.loads(w)["name"] for w in ds["warp"]}
    assert kinds <= {"downscale", "color_jitter", "hallucination"} and len(ds) >= 1
    assert all(r == "implicit" for r in ds["recipe"])


def test_explicit_build_through_openai_backend_on_real_server(tmp_path, tiny_lm, isolated_datasets_cache):
    """Scene captions come from metadata (FineVideo style); QA from `transformers serve` on a tiny LM.
    A random tiny LM cannot follow the QA format, so every video counts as unparsable after the retries:
    the real server path is exercised end to end and the parse failure is counted, not crashed on."""
    base = tmp_path / "finevideo_like"
    paths = make_sample_videos(base, 2, num_frames=24)
    with open(base / "metadata.jsonl", "w") as f:
        for k, p in enumerate(paths):
            scenes = [[0, 1, f"a red room {k}"], [1, 2, "a green field"], [2, 3, "a blue sea"]]
            f.write(json.dumps({"file_name": p.name, "scenes": scenes}) + "\n")
    with transformers_serve(tiny_lm, tmp_path / "serve.log") as url:
        with pytest.raises(NoPairsError) as info:
            _load(
                base,
                tmp_path,
                recipe="explicit",
                generator=f"openai:{tiny_lm}",
                api_base=url,
                max_new_tokens=12,
                parse_retries=1,
            )
    assert '"videos_seen": 2' in str(info.value) and '"unparsable": 2' in str(info.value)
    cached = (
        sqlite3.connect(tmp_path / "responses.sqlite").execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    )
    assert cached == 4  # 2 videos x (first try + one retry), all kept for the next run


def test_explicit_recipe_turns_parsed_qa_into_pairs(tmp_path, sample_videos):
    """The explicit recipe's logic with a scripted LLM: true-order captions give chosen answers, the
    shuffled order gives rejected ones, the scene permutation is recorded, and retries are bounded."""
    from timewarp_hf.config import TimeWarpConfig
    from timewarp_hf.generation import GenerationBackend
    from timewarp_hf.pipeline import PairPipeline
    from timewarp_hf.sources import BaseSource

    class ScriptedLLM(GenerationBackend):
        name, model_id, supports_video = "scripted", "llm", False

        def __init__(self):
            self.prompts = []

        def generate(self, requests):
            out = []
            for r in requests:
                prompt = r.messages[0]["content"]
                self.prompts.append(prompt)
                if "Reply again" in str(r.messages[-1]["content"]):
                    out.append(
                        "Q1: What is first?\nA1: red.\nQ2: What is last?\nA2: blue.\nQ3: Middle?\nA3: green."
                    )
                elif "Question:" in prompt:
                    out.append("Answer: " + prompt.split("Video description: ")[1].split()[0])
                else:
                    out.append("I refuse to use the format")  # forces one retry
            return out

    config = TimeWarpConfig(
        name="t", base=str(sample_videos), recipe="explicit", generator="scripted", seed=1
    )
    source = BaseSource(str(sample_videos))
    llm = ScriptedLLM()
    pipeline = PairPipeline(config, source.describe(), generator=llm)
    examples = (ex for shard in source.shards() for ex in source.iter_shard(shard))

    def with_captions(ex):
        ex.metadata["scenes"] = [[0, 1, "red"], [1, 2, "green"], [2, 3, "blue"]]
        return ex

    records = list(pipeline.run(with_captions(ex) for ex in examples))
    assert pipeline.counters["qa_parse_retries"] == 3  # one retry per video
    # 3 videos x 3 questions; a pair whose shuffled answer equals the true one is dropped as identical
    assert len(records) + pipeline.counters["filtered/identical"] == 9 and records
    for record in records:
        warp = json.loads(record["warp"])
        assert warp["name"] == "scene_shuffle" and warp["scene_order"] != [0, 1, 2]
        assert record["chosen"][0]["content"][0]["text"] in {"red.", "green.", "blue."}
        assert record["rejected"][0]["content"][0]["text"] == ["red", "green", "blue"][warp["scene_order"][0]]
    assert all("red green blue" in p for p in llm.prompts if "Question:" not in p)  # chosen: true order


def test_corrupt_videos_are_skipped_and_counted(tmp_path, tiny_vlm, isolated_datasets_cache):
    base = tmp_path / "mixed"
    make_sample_videos(base, 2, num_frames=16, metadata=False)
    for kind in CORRUPT_KINDS:
        make_corrupt_video(base / f"bad_{kind}.mp4", kind)
    ds = _load(base, tmp_path, captioner=tiny_vlm, warps=["reverse"], max_similarity=1.0)
    summary = build_summary(ds)
    assert summary["videos_seen"] == 2 + len(CORRUPT_KINDS)
    assert sum(summary["skipped"].values()) == len(CORRUPT_KINDS)
    assert summary["skipped"]["too_short"] == 1 and summary["skipped"]["empty"] == 1
    assert set(ds["video_id"]) <= {p.stem for p in base.glob("sample_*.mp4")}


def test_same_cache_from_two_working_directories(
    tmp_path, sample_videos, tiny_vlm, isolated_datasets_cache, monkeypatch
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "junk").mkdir(parents=True)
    (tmp_path / "b" / "train.csv").write_text("x,y\n1,2\n")
    monkeypatch.chdir(tmp_path / "a")
    first = _load(os.path.relpath(sample_videos), tmp_path, captioner=tiny_vlm, warps=["reverse"])
    monkeypatch.chdir(tmp_path / "b")
    second = _load(os.path.relpath(sample_videos), tmp_path, captioner=tiny_vlm, warps=["reverse"])
    assert first.cache_files == second.cache_files and pair_texts(first) == pair_texts(second)
    builder = datasets.load_dataset_builder(
        "timewarp",
        base=str(sample_videos),
        captioner=tiny_vlm,
        warps=["reverse"],
        **FAST,
        response_cache=str(tmp_path / "responses.sqlite"),
    )
    assert builder.config.base == str(sample_videos)


def test_new_videos_invalidate_the_cache(tmp_path, tiny_vlm, isolated_datasets_cache):
    base = tmp_path / "grow"
    make_sample_videos(base, 1, num_frames=16, metadata=False)
    first = _load(base, tmp_path, captioner=tiny_vlm, warps=["reverse"], max_similarity=1.0)
    shutil.copy(next(base.glob("*.mp4")), base / "another.mp4")
    second = _load(base, tmp_path, captioner=tiny_vlm, warps=["reverse"], max_similarity=1.0)
    assert build_summary(first)["videos_seen"] == 1 and build_summary(second)["videos_seen"] == 2


def test_builder_class_and_dataset_object_base(tmp_path, sample_videos, tiny_vlm):
    base = datasets.Dataset.from_dict(
        {"video": [str(p) for p in sorted(sample_videos.glob("*.mp4"))], "video_id": ["a", "b", "c"]}
    ).cast_column("video", datasets.Video())
    builder = TimeWarpBuilder(
        base=base,
        captioner=tiny_vlm,
        warps=("reverse",),
        cache_dir=str(tmp_path / "c"),
        response_cache=str(tmp_path / "r.sqlite"),
        max_similarity=1.0,
        **FAST,
    )
    builder.download_and_prepare()
    ds = builder.as_dataset(split="train")
    assert set(ds["video_id"]) <= {"a", "b", "c"} and builder.config.base.startswith("dataset:")


def test_hub_style_dataset_folder_with_video_column(
    tmp_path, sample_videos, tiny_vlm, isolated_datasets_cache
):
    rows = {"clip": [str(p) for p in sorted(sample_videos.glob("*.mp4"))][:2], "id": ["x", "y"]}
    datasets.Dataset.from_dict(rows).cast_column("clip", datasets.Video()).save_to_disk(tmp_path / "disk")
    ds = _load(
        tmp_path / "disk",
        tmp_path,
        captioner=tiny_vlm,
        video_column="clip",
        warps=["reverse"],
        max_similarity=1.0,
    )
    assert build_summary(ds)["videos_seen"] == 2 and set(ds["video_id"]) <= {"x", "y"}
    with pytest.raises(ValueError, match="no video column 'movie'"):
        _load(tmp_path / "disk", tmp_path, captioner=tiny_vlm, video_column="movie", warps=["reverse"])


def test_num_proc_shards_the_build(tmp_path, sample_videos, tiny_vlm, isolated_datasets_cache):
    one = _load(sample_videos, tmp_path, captioner=tiny_vlm, warps=["reverse"], max_similarity=1.0)
    two = _load(
        sample_videos,
        tmp_path,
        captioner=tiny_vlm,
        warps=["reverse"],
        max_similarity=1.0,
        seed=0,
        num_proc=2,
        cache_dir=str(tmp_path / "other_cache"),
    )
    assert sorted(pair_texts(one)) == sorted(pair_texts(two))
    assert build_summary(two)["videos_seen"] == 3


def test_videofolder_metadata_outside_the_base_is_rejected(tmp_path, tiny_vlm, isolated_datasets_cache):
    base = tmp_path / "vf"
    make_sample_videos(base, 1, num_frames=16)
    for bad in ("../secret.mp4", "/etc/passwd"):
        (base / "metadata.jsonl").write_text(json.dumps({"file_name": bad}) + "\n")
        with pytest.raises(ValueError, match="outside the base folder|must be a relative path"):
            _load(base, tmp_path, captioner=tiny_vlm, warps=["reverse"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"recipe": "magic"}, "TimeWarpConfig.recipe='magic' is invalid: accepted values: explicit, warped"),
        ({"warps": ["rewind"]}, "TimeWarpConfig.warps='rewind' is invalid: unknown warp"),
        ({"captioner": None}, "TimeWarpConfig.captioner=None is invalid: the warped recipe needs"),
        ({"max_similarity": 1.5}, "TimeWarpConfig.max_similarity=1.5 is invalid"),
        ({"num_frames": 1}, "TimeWarpConfig.num_frames=1 is invalid"),
        ({"templates": {"nope": "x"}}, "known templates"),
        ({"implicit_rejections": ["blur"]}, "TimeWarpConfig.implicit_rejections='blur'"),
    ],
)
def test_bad_config_fails_before_decoding(tmp_path, kwargs, message, isolated_datasets_cache):
    options = {"captioner": "unused-model", **kwargs}
    with pytest.raises(TimeWarpConfigError) as info:
        load_dataset("timewarp", base=str(tmp_path), split="train", **options)
    assert message in str(info.value)
