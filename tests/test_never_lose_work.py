"""Nothing finished is lost to a failure that comes after it: each long job saves its result before the
extras (cards, pushes), and a failure there warns, keeps the result and says how to retry. Each test
injects the failure."""

import json
import logging

import pytest
from datasets import load_dataset, load_from_disk
from peft import PeftModel
from transformers import AutoModelForImageTextToText

import timewarp_hf  # noqa: F401
from timewarp_hf.cli import run
from timewarp_hf.hub import common
from timewarp_hf.trainer import TimeWarpDPOTrainer
from timewarp_hf.training import main as train_main


@pytest.fixture(scope="module")
def explicit_pairs(sample_videos, tmp_path_factory):
    """Explicit pairs from the rule-based generator (no model needed), saved as `timewarp build` saves."""
    folder = tmp_path_factory.mktemp("pairs") / "explicit"
    pairs = load_dataset(
        "timewarp",
        base=str(sample_videos),
        recipe="explicit",
        generator="template",
        split="train",
        cache_dir=str(tmp_path_factory.mktemp("cache")),
    )
    pairs.save_to_disk(str(folder))
    return folder


def _train_args(tiny_vlm, pairs, output_dir, *extra):
    return [
        *("--model_name_or_path", tiny_vlm, "--dataset_name", str(pairs), "--output_dir", str(output_dir)),
        *("--max_steps", "1", "--per_device_train_batch_size", "2", "--lora_r", "4", "--lora_alpha", "8"),
        *("--report_to", "none", "--save_strategy", "no", "--num_frames", "4"),
        *("--gradient_checkpointing", "false"),
        *extra,
    ]


@pytest.fixture()
def cards_broken(monkeypatch):
    """Every card template unreadable, as in an installation that lacks them."""

    def missing(name):
        raise FileNotFoundError(f"card template {name} is missing (injected)")

    monkeypatch.setattr(common, "card_template", missing)


def _assert_loadable_adapter(tiny_vlm, folder):
    assert (folder / "adapter_model.safetensors").is_file() and (folder / "adapter_config.json").is_file()
    assert (folder / "processor_config.json").is_file() or (folder / "preprocessor_config.json").is_file()
    model = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(tiny_vlm), str(folder))
    assert model.peft_config["default"].r == 4


def test_a_card_failure_after_training_keeps_the_adapter(
    tiny_vlm, explicit_pairs, tmp_path, cards_broken, caplog
):
    out = tmp_path / "dpo"
    with caplog.at_level(logging.WARNING, logger="timewarp_hf.training"):
        assert train_main(_train_args(tiny_vlm, explicit_pairs, out)) == 0
    _assert_loadable_adapter(tiny_vlm, out)
    assert "model card could not be written" in caplog.text and f"timewarp push model {out}" in caplog.text


def test_a_push_failure_after_training_keeps_the_adapter(
    tiny_vlm, explicit_pairs, tmp_path, monkeypatch, caplog
):
    def unreachable(self, *args, **kwargs):
        raise ConnectionError("the Hub is unreachable (injected)")

    monkeypatch.setattr(TimeWarpDPOTrainer, "init_hf_repo", lambda self, token=None: None)
    monkeypatch.setattr(TimeWarpDPOTrainer, "push_to_hub", unreachable)
    out = tmp_path / "dpo"
    args = _train_args(tiny_vlm, explicit_pairs, out, "--push_to_hub", "true", "--hub_model_id", "me/tw")
    with caplog.at_level(logging.ERROR, logger="timewarp_hf.training"):
        assert train_main(args) == 1  # the push failed: not a success, but nothing is lost
    _assert_loadable_adapter(tiny_vlm, out)
    assert (out / "README.md").is_file()  # the card was written before the push
    assert f"retry with `timewarp push model {out} me/tw`" in caplog.text


def test_a_card_failure_at_a_checkpoint_keeps_the_checkpoint(
    tiny_vlm, explicit_pairs, tmp_path, cards_broken, caplog
):
    out = tmp_path / "dpo"
    args = _train_args(tiny_vlm, explicit_pairs, out)
    args[args.index("--save_strategy") + 1] = "steps"
    with caplog.at_level(logging.WARNING, logger="timewarp_hf.trainer"):
        assert train_main([*args, "--save_steps", "1"]) == 0
    _assert_loadable_adapter(tiny_vlm, out / "checkpoint-1")
    assert (out / "checkpoint-1" / "trainer_state.json").is_file()
    assert "checkpoint saved, but the model card could not be written" in caplog.text


def test_a_push_failure_after_a_build_keeps_the_pairs(
    sample_videos, tmp_path, monkeypatch, capsys, isolated_datasets_cache
):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no-token"))
    out = tmp_path / "pairs"
    argv = ["build", "--base", str(sample_videos), "--recipe", "explicit", "--generator", "template"]
    assert run([*argv, "--output", str(out), "--push-to-hub", "me/pairs"]) == 1
    err = capsys.readouterr().err
    assert f"the pairs are saved in {out}" in err and f"timewarp push dataset {out} me/pairs" in err
    summary = json.loads((out / "timewarp_summary.json").read_text())
    assert len(load_from_disk(str(out))) == summary["num_pairs"] > 0


def test_a_push_stages_the_whole_repo_before_its_first_request(explicit_pairs, tmp_path, monkeypatch):
    """The first request already sees every file a dry run lists; a failing request uploads nothing."""
    from huggingface_hub import HfApi

    from timewarp_hf.hub import dry_run, push_dataset

    report = dry_run("dataset", "me/pairs", tmp_path / "dry", {"pairs": str(explicit_pairs)})
    seen = {}

    class FailingHub(HfApi):
        def create_repo(self, repo_id, **kwargs):
            raise ConnectionError("the Hub is unreachable (injected)")

        def upload_folder(self, **kwargs):
            raise AssertionError("uploaded after a failed request")

    def scan(folder, **kwargs):
        seen["files"] = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        return []

    monkeypatch.setattr("timewarp_hf.hub.push.find_leaks", scan)  # runs right before the first request
    with pytest.raises(ConnectionError, match="injected"):
        push_dataset(str(explicit_pairs), "me/pairs", api=FailingHub(token="hf_" + "x" * 34))
    assert seen["files"] == report["files"] and "README.md" in seen["files"]
