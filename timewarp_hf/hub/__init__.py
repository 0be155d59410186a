"""Everything TimeWarp makes, on the Hub: dataset and model cards, and the push of dataset, model and Space.

One module per concern: :mod:`.privacy` (local paths scrubbed, leak scan), :mod:`.dataset_card` (card,
example picture, Parquet export), :mod:`.model_card` (card, ``model-index``), :mod:`.staging` (the model and
Space folders as they would go up), :mod:`.push` (stage, scan, upload) and :mod:`.common` (shared names,
the card templates installed with the package).

Names are imported from their module on first use, so ``from timewarp_hf.hub import update_model_card``
(the trainer) loads the model-card module alone, not the dataset export or push code.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "dataset_card": (
        "DEFAULT_MAX_SHARD_BYTES",
        "base_license",
        "example_picture",
        "export_dataset",
        "render_dataset_card",
        "validate_dataset_card",
    ),
    "model_card": (
        "eval_results_from_dict",
        "model_card_section",
        "render_model_card",
        "update_model_card",
        "validate_model_card",
    ),
    "privacy": ("find_leaks", "local_roots", "scrub_local_paths"),
    "staging": ("stage_model", "stage_space"),
    "push": (
        "PUSH_TARGETS",
        "HubAuthError",
        "HubLeakError",
        "dry_run",
        "push_target",
        "push_dataset",
        "push_folder",
        "push_model",
        "push_space",
        "stage",
    ),
    "common": ("DATASET_TAGS", "MODEL_TAGS", "SPACE_CONFIG_FILE", "TASK_CATEGORY", "card_template"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
