"""Pushing: every upload goes in two steps. *Stage* writes the exact folder that would be uploaded
(:func:`stage`, complete before any request), then :func:`push_folder` scans it for leaks and uploads it with
``create_repo`` + ``upload_folder``. :func:`dry_run` stops after the first step.

The token is never an argument: ``huggingface_hub`` reads it from ``HF_TOKEN`` or the ``hf auth login``
file, and no file we write ever holds it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets
from huggingface_hub import CommitInfo, HfApi, get_token

from .. import __version__
from .common import is_hub_id
from .dataset_card import export_dataset
from .privacy import find_leaks, local_roots
from .staging import stage_model, stage_space

__all__ = [
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
]

PUSH_TARGETS = ("dataset", "model", "space")


class HubAuthError(RuntimeError):
    """No Hub token: the message says how to provide one (``hf auth login`` or ``HF_TOKEN``)."""


class HubLeakError(RuntimeError):
    """A staged file holds the Hub token or a local path; nothing was uploaded."""


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    repo_type: str,
    commit_message: str,
    private: bool | None = None,
    local_paths: Sequence[str | os.PathLike] = (),
    api: HfApi | None = None,
) -> CommitInfo:
    """Create the repo if needed and upload ``folder`` as one commit.

    The token comes from ``huggingface_hub`` (``HF_TOKEN`` or ``hf auth login``); :class:`HubAuthError` when
    there is none. :class:`HubLeakError`, before any request, when a file holds the token or one of
    ``local_paths`` (plus the working and home directories).
    """
    api = api or HfApi()
    token = api.token or get_token()
    if not token:
        raise HubAuthError(
            "no Hugging Face token: run `hf auth login`, or set the HF_TOKEN environment variable"
        )
    leaks = find_leaks(folder, secrets=[token], local_paths=local_roots(*local_paths))
    if leaks:
        raise HubLeakError(
            "refusing to upload; these files leak secrets or local paths:\n" + "\n".join(leaks)
        )
    api.create_repo(
        repo_id,
        repo_type=repo_type,
        private=private,
        exist_ok=True,
        space_sdk="gradio" if repo_type == "space" else None,
    )
    return api.upload_folder(
        repo_id=repo_id, folder_path=str(folder), repo_type=repo_type, commit_message=commit_message
    )


def stage(target: str, folder: Path, repo_id: str, options: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Stage ``target`` into ``folder``; return the default commit message and the local sources (folders
    whose paths must not leak)."""
    if not is_hub_id(repo_id) or len(repo_id) > 96:
        raise ValueError(
            f"repo_id {repo_id!r} is not a Hub repo id: use 'user-or-org/name' "
            "(letters, digits, '-', '_', '.')"
        )
    if target == "dataset":
        pairs = options["pairs"]
        export_dataset(pairs, folder, repo_id=repo_id, license=options.get("license"))
        message = f"Upload {_count_rows(folder):,} TimeWarp preference pairs (timewarp-hf {__version__})"
        return message, [] if isinstance(pairs, datasets.Dataset) else [pairs]
    if target == "model":
        stage_model(
            options["model_dir"],
            folder,
            repo_id=repo_id,
            base_model=options.get("base_model"),
            dataset=options.get("dataset"),
            eval_results=options.get("eval_results"),
            license=options.get("license"),
        )
        return f"Upload TimeWarp DPO model (timewarp-hf {__version__})", [options["model_dir"]]
    if target == "space":
        stage_space(
            folder,
            base_model=options.get("base_model"),
            timewarp_model=options.get("timewarp_model"),
            dataset=options.get("dataset"),
        )
        return f"Upload the TimeWarp demo Space (timewarp-hf {__version__})", []
    raise ValueError(f"unknown push target {target!r}; accepted: {', '.join(PUSH_TARGETS)}")


def _push(
    target: str,
    repo_id: str,
    options: Mapping[str, Any],
    *,
    private: bool | None,
    commit_message: str | None,
    api: HfApi | None,
) -> CommitInfo:
    with tempfile.TemporaryDirectory(prefix="timewarp-push-") as tmp:
        folder = Path(tmp) / "repo"
        message, sources = stage(target, folder, repo_id, options)
        return push_folder(
            folder,
            repo_id,
            repo_type=target,
            commit_message=commit_message or message,
            private=private,
            local_paths=sources,
            api=api,
        )


def _count_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in (folder / "data").glob("*.parquet"))


def push_dataset(
    pairs: datasets.Dataset | str | os.PathLike,
    repo_id: str,
    *,
    license: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Export the pairs (:func:`export_dataset`) and upload them with their card, picture and summary: the
    push path for ``timewarp build --push-to-hub`` and ``timewarp push dataset``."""
    options = {"pairs": pairs, "license": license}
    return _push("dataset", repo_id, options, private=private, commit_message=commit_message, api=api)


def push_model(
    model_dir: str | os.PathLike,
    repo_id: str,
    *,
    base_model: str | None = None,
    dataset: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    license: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Stage a trained model (:func:`stage_model`) and upload it."""
    options = {
        "model_dir": model_dir,
        "base_model": base_model,
        "dataset": dataset,
        "eval_results": eval_results,
        "license": license,
    }
    return _push("model", repo_id, options, private=private, commit_message=commit_message, api=api)


def push_space(
    repo_id: str,
    *,
    base_model: str | None = None,
    timewarp_model: str | None = None,
    dataset: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Stage the demo Space (:func:`stage_space`) and upload it as a Gradio Space."""
    options = {"base_model": base_model, "timewarp_model": timewarp_model, "dataset": dataset}
    return _push("space", repo_id, options, private=private, commit_message=commit_message, api=api)


def dry_run(
    target: str,
    repo_id: str,
    folder: str | os.PathLike,
    options: Mapping[str, Any],
    *,
    commit_message: str | None = None,
) -> dict[str, Any]:
    """Stage ``target`` into ``folder`` and upload nothing: the report says what would go up (files, commit
    message) and what the leak scan found."""
    folder = Path(folder)
    message, sources = stage(target, folder, repo_id, options)
    return {
        "dry_run": str(folder),
        "repo_id": repo_id,
        "repo_type": target,
        "commit_message": commit_message or message,
        "files": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
        "leaks": find_leaks(folder, secrets=[get_token() or ""], local_paths=local_roots(*sources)),
    }


def push_target(
    target: str,
    repo_id: str,
    options: Mapping[str, Any],
    *,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Stage ``target`` (``dataset``, ``model`` or ``space``) into a temporary folder and upload it; the
    ``options`` are those of :func:`push_dataset`, :func:`push_model` or :func:`push_space`."""
    if target not in PUSH_TARGETS:
        raise ValueError(f"unknown push target {target!r}; accepted: {', '.join(PUSH_TARGETS)}")
    return _push(target, repo_id, options, private=private, commit_message=commit_message, api=api)
