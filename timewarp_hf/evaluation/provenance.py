"""Which version of a benchmark was scored: the dataset revision (a commit) and its row count.

Benchmarks change on the Hub (Video-MME has had revisions with 2,700, 2,541 and 2,544 rows), so a score
that does not say which one it was computed on cannot be compared with another. The commit is read
without the network where possible:

* a Hub id: the Hub's answer when online, else the commit the local Hub cache resolved the revision to
  (``$HF_HUB_CACHE/datasets--<owner>--<name>/refs/<revision>``), which is what ``datasets`` loaded;
* a local folder: the commit ``hf download --local-dir`` recorded next to the files it fetched
  (``.cache/huggingface/download/**/*.metadata``, first line of each), or the folder's git ``HEAD``.

``None`` when none of these knows (a folder built by hand).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["dataset_revision"]

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _hub_cache() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _cached_commit(repo_id: str, revision: str) -> str | None:
    if _COMMIT.match(revision):
        return revision
    ref = _hub_cache() / f"datasets--{repo_id.replace('/', '--')}" / "refs" / revision
    if ref.is_file():
        commit = ref.read_text().strip()
        return commit if _COMMIT.match(commit) else None
    return None


def _online_commit(repo_id: str, revision: str) -> str | None:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return None
    try:
        from huggingface_hub import HfApi

        return HfApi().dataset_info(repo_id, revision=revision).sha
    except Exception:  # noqa: BLE001 - no network, no access, no such repo: the cache may still know
        return None


def _folder_commit(folder: Path) -> str | None:
    commits = set()
    metadata = folder / ".cache" / "huggingface" / "download"
    if metadata.is_dir():
        for path in metadata.rglob("*.metadata"):
            first = path.read_text().splitlines()[:1]
            if first and _COMMIT.match(first[0].strip()):
                commits.add(first[0].strip())
    if len(commits) == 1:
        return commits.pop()
    if len(commits) > 1:  # files fetched at different commits: no single revision was scored
        return None
    head = folder / ".git" / "HEAD"
    if head.is_file():
        text = head.read_text().strip()
        if text.startswith("ref: "):
            ref = folder / ".git" / text[5:]
            text = ref.read_text().strip() if ref.is_file() else ""
        return text if _COMMIT.match(text) else None
    return None


def dataset_revision(source: str, revision: str | None = None) -> str | None:
    """The commit of ``source`` (a Hub dataset id or a local copy) that was loaded, or ``None``.

    Args:
        source: What the benchmark was loaded from.
        revision: The branch, tag or commit asked for on the Hub (default ``main``).
    """
    if os.path.isdir(source):
        return _folder_commit(Path(source))
    revision = revision or "main"
    return _online_commit(source, revision) or _cached_commit(source, revision)
