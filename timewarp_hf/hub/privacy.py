"""Privacy of everything that goes up: local paths reduced to their last component, and a scan of a
staged folder for the Hub token and local folders before any upload.

A build records where its videos and models came from, and a trainer writes its output folder into JSON
files; none of that may reach the Hub.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["PATH_KEYS", "find_leaks", "local_roots", "replace_path_values", "scrub_local_paths"]

# JSON keys a trainer or `save_pretrained` fills with a local folder.
PATH_KEYS = frozenset(
    {"base_model_name_or_path", "_name_or_path", "name_or_path", "best_model_checkpoint", "output_dir"}
)
# Files larger than this are weights; the leak scan skips them (we never write into them).
_MAX_SCANNED_BYTES = 200 * 1024**2
_LOCAL_PATH = re.compile(r"(?<![\w/.\-~])~?/(?!/)[^\s\"'()<>,;|`]+")


def scrub_local_paths(text: str) -> str:
    """Replace every absolute local path in ``text`` by its last component.

    ``"transformers:/home/me/ckpt/tiny-vlm (prompts tw-1)"`` becomes ``"transformers:tiny-vlm (prompts
    tw-1)"``; Hub ids (``Qwen/Qwen2.5-VL-3B``) and URLs are left alone. Used on every descriptive string
    that goes to the Hub, since a build records where its videos and models came from.
    """
    return _LOCAL_PATH.sub(lambda m: Path(m.group().rstrip("/")).name or "<local>", text)


def replace_path_values(value: Any, replace: Callable[[str], str]) -> Any:
    """``value`` (parsed JSON) with every string under a :data:`PATH_KEYS` key passed through ``replace``."""
    if isinstance(value, dict):
        return {
            k: replace(v) if k in PATH_KEYS and isinstance(v, str) else replace_path_values(v, replace)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [replace_path_values(v, replace) for v in value]
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def find_leaks(
    folder: str | os.PathLike, *, secrets: Sequence[str] = (), local_paths: Sequence[str | os.PathLike] = ()
) -> list[str]:
    """``"file: what"`` for every staged file holding a secret or one of ``local_paths``.

    Parquet files are read cell by cell (their pages are compressed, so a byte search would miss a path);
    other files byte by byte, up to weight-sized files, which we never write into.
    """
    import pyarrow.parquet as pq

    needles = [(s, "the Hub token") for s in secrets if s] + [
        (str(p), f"local path {p}") for p in local_paths if str(p) not in ("", "/")
    ]
    found = []
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if path.suffix == ".parquet":
            texts = (
                s
                for batch in pq.ParquetFile(path).iter_batches(batch_size=256)
                for row in batch.to_pylist()
                for s in _strings(row)
            )
            hits = {what for text in texts for needle, what in needles if needle in text}
        elif path.stat().st_size <= _MAX_SCANNED_BYTES:
            content = path.read_bytes()
            hits = {what for needle, what in needles if needle.encode() in content}
        else:
            continue
        found += [f"{name}: {what}" for what in sorted(hits)]
    return found


def local_roots(*extra: str | os.PathLike | None) -> list[str]:
    """Folders whose path must not appear in an upload: the sources, the working and home directories
    (only when they are specific enough, i.e. not ``/`` or a top-level folder like ``/root``)."""
    roots = {Path(p).resolve() for p in extra if p} | {Path.cwd(), Path.home()}
    return sorted(str(p) for p in roots if len(p.parts) > 2)
