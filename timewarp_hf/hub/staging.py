"""Staging: the exact folder that would be uploaded, for a trained model and for the demo Space.

``timewarp push ... --dry-run DIR`` stops here, so what a user inspects is byte for byte what would go up.
The Space is staged from the installed package (its templates are package data), so a pip install stages
the same Space as a checkout.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, SpaceCard

from .common import (
    CARDS_PACKAGE,
    SPACE_CONFIG_FILE,
    SPACE_FILES,
    card_template,
    card_template_file,
    fresh_folder,
    is_hub_id,
    read_json,
)
from .model_card import render_model_card, update_model_card, validate_model_card
from .privacy import replace_path_values, scrub_local_paths

__all__ = ["stage_model", "stage_space"]

logger = logging.getLogger(__name__)

# What goes into a model repo from a trainer's output folder (as `Trainer.push_to_hub`, plus the pickled
# training arguments, which hold local paths).
_MODEL_IGNORE = ("checkpoint-*", "_*", "runs", "training_args.bin", ".git", "__pycache__", "*.pyc")
# Large JSON files that hold a vocabulary, not paths: never parsed.
_VOCAB_FILES = frozenset({"tokenizer.json", "vocab.json"})


def stage_model(
    model_dir: str | os.PathLike,
    folder: str | os.PathLike,
    *,
    repo_id: str,
    base_model: str | None = None,
    dataset: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    license: str | None = None,
    eval_datasets: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write the model repo as it would be uploaded from a trainer's output folder.

    Files are hard-linked (weights are not copied); checkpoints, ``runs/``, ``_*`` and the pickled training
    arguments are left out. JSON fields that name a local folder (``base_model_name_or_path``, ...) are
    rewritten to ``base_model`` or the folder's name. The card is the trainer's ``README.md`` completed by
    :func:`update_model_card`, or, when there is none, a full :func:`render_model_card` filled from
    ``adapter_config.json`` and ``trainer_state.json``.
    """
    source = Path(model_dir)
    if not source.is_dir():
        raise FileNotFoundError(f"model folder {source} does not exist")
    if not any((source / name).is_file() for name in ("config.json", "adapter_config.json")):
        raise ValueError(
            f"model_dir {source} holds no config.json or adapter_config.json: pass the trainer's "
            "output_dir or a save_pretrained folder"
        )
    if Path(folder).resolve().is_relative_to(source.resolve()):
        raise ValueError(f"the staging folder {folder} lies inside model_dir {source}: stage elsewhere")
    out = fresh_folder(folder)
    ignored = shutil.ignore_patterns(*_MODEL_IGNORE)
    adapter = read_json(source / "adapter_config.json")
    config = read_json(source / "config.json")
    trainer_card = ModelCard.load(source / "README.md") if (source / "README.md").is_file() else None
    recorded_base = adapter.get("base_model_name_or_path") or config.get("_name_or_path") or ""
    base = (
        base_model
        or (trainer_card.data.base_model if trainer_card is not None else None)
        or (recorded_base if is_hub_id(recorded_base) else scrub_local_paths(recorded_base) or "unknown")
    )

    def public(value: str) -> str:
        if not os.path.isabs(value):
            return value
        return base if value == recorded_base else scrub_local_paths(value)

    def copy(src: str, dst: str) -> None:
        name = Path(src).name
        if name.endswith(".json") and name not in _VOCAB_FILES:
            original = json.loads(Path(src).read_text())
            public_copy = replace_path_values(original, public)
            if public_copy != original:
                Path(dst).write_text(json.dumps(public_copy, indent=2) + "\n")
                return
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, out, ignore=ignored, copy_function=copy, dirs_exist_ok=True)
    readme = out / "README.md"
    if trainer_card is not None:
        card = update_model_card(
            trainer_card,
            base_model=base,
            eval_results=eval_results,
            eval_datasets=eval_datasets,
            dataset=dataset,
            license=license,
        )
        # The trainer's quick start loads the model from its output folder; on the Hub it loads the repo.
        for local in {str(model_dir), str(source.resolve())}:
            card.text = card.text.replace(f'"{local}"', f'"{repo_id}"')
        readme.unlink()  # a hard link to the trainer's card: write a new file, leave the original alone
    else:
        state = read_json(source / "trainer_state.json")
        hyperparameters: dict[str, Any] = {}
        for key in ("num_train_epochs", "train_batch_size", "global_step"):
            if key in state:
                hyperparameters[key.replace("_", " ")] = state[key]
        rates = [entry["learning_rate"] for entry in state.get("log_history", []) if "learning_rate" in entry]
        if rates:
            hyperparameters["peak learning rate"] = max(rates)
        for key in ("peft_type", "r", "lora_alpha", "lora_dropout", "target_modules"):
            if key in adapter:
                hyperparameters[f"LoRA {key}" if key != "peft_type" else "adapter"] = adapter[key]
        card = render_model_card(
            model_name=repo_id.split("/")[-1],
            base_model=base,
            repo_id=repo_id,
            dataset=dataset,
            eval_results=eval_results,
            eval_datasets=eval_datasets,
            hyperparameters=hyperparameters,
            license=license,
            adapter=bool(adapter),
        )
    validate_model_card(card)
    card.save(readme)
    return out


def stage_space(
    folder: str | os.PathLike,
    *,
    base_model: str | None = None,
    timewarp_model: str | None = None,
    dataset: str | None = None,
) -> Path:
    """Write the Space repo as it would be uploaded: ``hub_cards/space/`` (app, requirements, packages),
    its README front matter completed through :class:`~huggingface_hub.SpaceCard` (models, dataset, the
    installed Gradio as ``sdk_version``), the models to load, and a copy of the ``timewarp_hf`` package
    (the Space imports it; it is not on PyPI).

    Without models the Space serves the quickstart's fitted tiny pair, made at start-up (a few minutes).
    """
    if (base_model is None) != (timewarp_model is None):
        raise ValueError("give both base_model and timewarp_model, or neither (the quickstart's pair)")
    out = fresh_folder(folder)
    for name in SPACE_FILES:
        (out / name).write_bytes(card_template(f"space/{name}").read_bytes())
    with card_template_file("space/README.md") as readme:
        card = SpaceCard.load(readme)
    try:
        import gradio

        card.data.sdk_version = gradio.__version__
    except ImportError:
        logger.info(
            "gradio is not installed: keeping sdk_version %s from the template", card.data.sdk_version
        )
    if base_model:
        card.data.models = [m for m in (base_model, timewarp_model) if is_hub_id(m)] or None
        (out / SPACE_CONFIG_FILE).write_text(
            json.dumps({"base_model": base_model, "timewarp_model": timewarp_model}, indent=2) + "\n"
        )
    if dataset and is_hub_id(dataset):
        card.data.datasets = [dataset]
    card.save(out / "README.md")
    # The installed package, templates included (an editable install keeps them outside the package).
    package = resources.files("timewarp_hf")
    _copy_traversable(package, out / "timewarp_hf")
    cards = out / "timewarp_hf" / CARDS_PACKAGE.rsplit(".", 1)[-1]
    if not cards.is_dir():
        _copy_traversable(resources.files(CARDS_PACKAGE), cards)
    return out


def _copy_traversable(source: Any, target: Path) -> None:
    """Copy an installed resource folder (a :class:`~importlib.resources.abc.Traversable`) to ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                _copy_traversable(entry, target / entry.name)
        elif not entry.name.endswith(".pyc"):
            (target / entry.name).write_bytes(entry.read_bytes())
