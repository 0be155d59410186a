"""Builds split across machines: one contiguous slice of the base per machine, then one merged dataset.

Why: a build's cost is the model calls, and one ``vllm serve`` per node scales them only if each node
builds its own part of the base. ``timewarp build --num-shards N --shard-index i`` builds slice ``i``
(contiguous, as ``datasets.Dataset.shard(contiguous=True)`` cuts: the first ``len % N`` slices get one
piece more), each writing its own pairs folder and build summary; ``timewarp merge`` joins the folders in
shard order into one dataset, one summary (every count added up) and one dataset card. Because every
pair's seed comes from the build seed and its video id, never from its position, the merged dataset
equals the single-machine build row for row (``tests/test_shards.py``).

The builder cuts its slice with :func:`~timewarp_hf.timewarp.shard_slice`; this module only merges, so the
build cache key (the builder's imports) does not depend on the merge or its card.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets

from .hub.dataset_card import render_dataset_card
from .timewarp import SUMMARY_FILE

__all__ = ["SHARD_FIELDS", "merge_builds", "merge_summaries"]

SHARD_FIELDS = ("num_shards", "shard_index")


def _add(total: Any, value: Any, key: str) -> Any:
    if isinstance(value, dict):
        merged = dict(total or {})
        for k, v in value.items():
            merged[k] = _add(merged.get(k), v, f"{key}.{k}")
        return merged
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (total or 0) + value
    if total is not None and total != value:
        raise ValueError(f"the shards disagree on {key}: {total!r} vs {value!r}")
    return value


def merge_summaries(summaries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One build summary from the shards': counts added up; the build options must be the same in every
    shard (bar the shard fields, which the merged summary drops)."""
    if not summaries:
        raise ValueError("no shard summaries to merge")
    configs = []
    for summary in summaries:
        config = {k: v for k, v in summary.get("config", {}).items() if k not in SHARD_FIELDS}
        configs.append(config)
    for k, config in enumerate(configs[1:], start=1):
        if config != configs[0]:
            changed = sorted(set(config.items()) ^ set(configs[0].items()), key=str)
            raise ValueError(f"shard {k} was built with other options than shard 0: {changed}")
    merged: dict[str, Any] = {"config": configs[0]}
    for summary in summaries:
        for key, value in summary.items():
            if key != "config":
                merged[key] = _add(merged.get(key), value, key)
    return merged


def _read(folder: Path) -> tuple[datasets.Dataset, dict[str, Any]]:
    if not folder.is_dir():
        raise FileNotFoundError(f"no shard folder {folder}: pass what `timewarp build --output` wrote")
    dataset = datasets.load_from_disk(str(folder))
    if isinstance(dataset, datasets.DatasetDict):
        dataset = dataset["train"]
    path = folder / SUMMARY_FILE
    summary = json.loads(path.read_text()) if path.is_file() else json.loads(dataset.info.description or "{}")
    return dataset, summary


def merge_builds(
    folders: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    *,
    repo_id: str | None = None,
    license: str | None = None,
) -> datasets.Dataset:
    """Join shard builds into one pairs folder at ``output`` (``save_to_disk``), with the merged
    ``timewarp_summary.json`` and the dataset card (``README.md``). The shards may be given in any order;
    every shard ``0..N-1`` of one ``--num-shards N`` build must be there once."""
    parts = [(Path(f), *_read(Path(f))) for f in folders]
    shards = {}
    for folder, dataset, summary in parts:
        config = summary.get("config", {})
        key = (config.get("num_shards", 1), config.get("shard_index", 0))
        if key in shards:
            raise ValueError(f"{folder} and {shards[key][0]} are both shard {key[1]} of {key[0]}")
        shards[key] = (folder, dataset, summary)
    counts = {n for n, _ in shards}
    if len(counts) != 1:
        raise ValueError(f"the folders come from builds with different --num-shards: {sorted(counts)}")
    (num_shards,) = counts
    missing = sorted(set(range(num_shards)) - {i for _, i in shards})
    if missing:
        raise ValueError(f"shards {missing} of {num_shards} are missing; merge needs every shard")
    ordered = [shards[num_shards, i] for i in range(num_shards)]
    summary = merge_summaries([s for _, _, s in ordered])
    merged = datasets.concatenate_datasets([d for _, d, _ in ordered])
    merged.info.description = json.dumps(summary)
    out = Path(output)
    merged.save_to_disk(str(out))
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    card = render_dataset_card(
        str(out), repo_id=repo_id or f"your-name/{out.resolve().name}", license=license
    )
    card.save(str(out / "README.md"))
    return datasets.load_from_disk(str(out))
