"""Names the hub modules (and the trainer and demo) share: tags, the card templates shipped with the
package, Hub-id checks and the staging folder rule.

The templates live in the repository's top-level ``hub_cards/`` folder, which setuptools installs as the
``timewarp_hf.hub_cards`` package data, so they are read through :mod:`importlib.resources` from whatever
was installed (a wheel, an sdist, an editable checkout), never through a path relative to the source tree.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "CARDS_PACKAGE",
    "DATASET_TAGS",
    "EXAMPLE_IMAGE",
    "MODEL_TAGS",
    "SPACE_CONFIG_FILE",
    "SPACE_FILES",
    "TASK_CATEGORY",
    "as_list",
    "card_template",
    "card_template_text",
    "fresh_folder",
    "is_hub_id",
    "read_json",
]

CARDS_PACKAGE = "timewarp_hf.hub_cards"
DATASET_TAGS = ("timewarp", "dpo", "preference", "video-text-to-text")
MODEL_TAGS = ("timewarp", "dpo", "trl", "video", "video-text-to-text")
TASK_CATEGORY = "video-text-to-text"
EXAMPLE_IMAGE = "images/example_warps.png"
# The Space's files besides its README, copied as they are from the installed templates.
SPACE_FILES = ("app.py", "requirements.txt", "packages.txt")
# Written into a staged Space: which base and TimeWarp models the app loads.
SPACE_CONFIG_FILE = "timewarp_demo.json"


def card_template(name: str) -> Any:
    """The installed template ``name`` (``"model_card.md"``, ``"space/app.py"``) as a
    :class:`importlib.resources.abc.Traversable`; a clear error when the installation lacks it."""
    try:
        path = resources.files(CARDS_PACKAGE).joinpath(*name.split("/"))
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            f"the card templates ({CARDS_PACKAGE}) are not installed: reinstall timewarp-hf "
            "(pip install --force-reinstall timewarp-hf)"
        ) from exc
    if not path.is_file():
        raise FileNotFoundError(
            f"card template {name} is missing from the installed timewarp-hf ({CARDS_PACKAGE}): "
            "reinstall it (pip install --force-reinstall timewarp-hf)"
        )
    return path


def card_template_text(name: str) -> str:
    """The text of the installed template ``name``."""
    return card_template(name).read_text(encoding="utf-8")


@contextmanager
def card_template_file(name: str) -> Iterator[Path]:
    """The installed template ``name`` as a real file for the duration of the block (for APIs that
    take a path; a zipped installation gets a temporary copy)."""
    with resources.as_file(card_template(name)) as path:
        yield Path(path)


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def is_hub_id(value: str) -> bool:
    """``owner/name`` and not an existing local path."""
    return bool(re.fullmatch(r"[\w.\-]+/[\w.\-]+", value)) and not os.path.exists(value)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def fresh_folder(folder: str | os.PathLike) -> Path:
    """``folder``, created, refused when it already holds something: a staged folder must hold exactly
    what goes up."""
    out = Path(folder)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: stage into a new folder so it holds exactly what goes up")
    out.mkdir(parents=True, exist_ok=True)
    return out
