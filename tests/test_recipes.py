"""The YAML recipes under scripts/recipes/ are valid configs of the commands they name: every key is a
flag, the values land in the dataclasses, and the command line still overrides them."""

from pathlib import Path

import yaml

from timewarp_hf.cli import COMMANDS
from timewarp_hf.commands import parser_for
from timewarp_hf.trainer import TimeWarpDPOConfig

RECIPES = Path(__file__).resolve().parents[1] / "scripts" / "recipes"


def _parse(command: str, recipe: str, *argv: str):
    return parser_for(COMMANDS[command]).parse_args_and_config(["--config", str(RECIPES / recipe), *argv])


def test_the_original_training_recipe_is_timewarps_setup():
    # bf16 needs a GPU that has it; this machine has none, so the command line turns it off
    script, training, model = _parse(
        "train", "timewarp_train.yaml", "--dataset_name", "pairs", "--bf16", "false"
    )
    assert (training.beta, training.loss_type, training.learning_rate) == (0.1, ["sigmoid"], 5e-7)
    assert (training.num_train_epochs, training.warmup_steps, training.num_frames) == (3, 0.1, 8)
    assert training.per_device_train_batch_size * training.gradient_accumulation_steps == 16  # x5 GPUs = 80
    assert (model.lora_r, model.lora_alpha, model.lora_dropout, model.use_peft) == (128, 256, 0.05, True)
    assert model.model_name_or_path == "Qwen/Qwen2.5-VL-7B-Instruct" and script.dataset_name == "pairs"
    # the recipe spells out the package's defaults: the two cannot drift apart unnoticed
    defaults = TimeWarpDPOConfig(output_dir="x", bf16=False)
    for key in ("beta", "learning_rate", "num_train_epochs", "warmup_steps", "num_frames"):
        assert getattr(training, key) == getattr(defaults, key), key


def test_the_data_recipe_builds_the_papers_explicit_pairs(tmp_path):
    config, build = _parse("build", "timewarp_data.yaml", "--base", str(tmp_path), "--output", "pairs")
    assert (config.recipe, config.generator, config.num_questions) == ("explicit", "openai:gpt-4o-mini", 3)
    assert (config.max_scene_end, config.min_scenes, config.scene_source) == (105.0, 2, "metadata")
    assert config.base == str(tmp_path) and build.output == "pairs"


def test_every_recipe_key_is_a_flag():
    for recipe, command in (("timewarp_train.yaml", "train"), ("timewarp_data.yaml", "build")):
        dests = {a.dest for a in parser_for(COMMANDS[command])._actions}
        assert set(yaml.safe_load((RECIPES / recipe).read_text())) <= dests, recipe
