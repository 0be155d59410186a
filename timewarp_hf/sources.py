"""Reading the base data a build starts from, whatever form it has.

``base`` may be a folder of videos; a ``videofolder``-style folder with ``metadata.jsonl``/``.csv`` next
to the videos (``file_name`` plus columns such as ``caption`` or ``scenes``); a Hub dataset id or a local
dataset folder (Parquet, ``save_to_disk``) with a video column; or a ``datasets.Dataset`` /
``IterableDataset``. Each becomes a stream of :class:`BaseExample` (an id, a video value and its metadata),
split into shards so ``num_proc`` workers can share the work.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import datasets

from .video import find_videos

__all__ = ["METADATA_FILES", "SCENES_FEATURE", "BaseExample", "BaseSource", "UnsafeMetadataPath"]

METADATA_FILES = ("metadata.jsonl", "metadata.csv")
# Scenes in a metadata file, as ``datasets``' ``videofolder`` reads them (one type per field). The older
# ``[start, end, caption]`` lists and FineVideo's ``content_metadata`` are still read, but a list mixing
# numbers and text is refused by Arrow, hence objects.
SCENES_FEATURE = datasets.List(
    {
        "start": datasets.Value("float64"),
        "end": datasets.Value("float64"),
        "caption": datasets.Value("string"),
    }
)
# Columns that carry the video itself, in the order we look for them when none is named.
_VIDEO_COLUMNS = ("video", "mp4", "videos", "file", "path")


class UnsafeMetadataPath(ValueError):
    """A metadata row points outside the base folder (absolute path, ``..``, URL)."""


@dataclass
class BaseExample:
    """One video of the base data: ``video`` is a path, ``{"path", "bytes"}`` dict or bytes."""

    video_id: str
    video: Any
    metadata: dict[str, Any] = field(default_factory=dict)


def _safe_join(root: str, relative: str) -> str:
    if not relative or os.path.isabs(relative) or "://" in relative:
        raise UnsafeMetadataPath(f"metadata file_name {relative!r} must be a relative path inside {root}")
    path = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([path, os.path.realpath(root)]) != os.path.realpath(root):
        raise UnsafeMetadataPath(f"metadata file_name {relative!r} points outside the base folder {root}")
    return path


def _read_metadata(folder: str) -> list[dict[str, Any]] | None:
    for name in METADATA_FILES:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        with open(path, newline="", encoding="utf-8") as handle:
            if name.endswith(".jsonl"):
                rows = [json.loads(line) for line in handle if line.strip()]
            else:
                rows = list(csv.DictReader(handle))
        for row in rows:
            if "file_name" not in row:
                raise ValueError(f"{path}: every row needs a 'file_name' column (got {sorted(row)})")
            for key, value in row.items():  # CSV cells holding JSON (scenes lists) are decoded
                if isinstance(value, str) and value[:1] in "[{":
                    try:
                        row[key] = json.loads(value)
                    except json.JSONDecodeError:
                        pass
        return rows
    return None


class BaseSource:
    """The base data of a build, as shards of :class:`BaseExample`.

    Args:
        base: folder, Hub id / dataset folder, or a ``Dataset``/``IterableDataset``.
        video_column: the column holding videos (auto-detected among common names when absent).
        split, revision, streaming: how to load a Hub/dataset base.
        max_videos: stop after this many videos (for trials).
    """

    def __init__(
        self,
        base: Any,
        *,
        video_column: str = "video",
        split: str = "train",
        revision: str | None = None,
        streaming: bool = False,
        max_videos: int | None = None,
    ):
        self.base, self.video_column, self.split = base, video_column, split
        self.revision, self.streaming, self.max_videos = revision, streaming, max_videos
        self._dataset: datasets.Dataset | datasets.IterableDataset | None = None
        if isinstance(base, (datasets.Dataset, datasets.IterableDataset)):
            self.kind, self._dataset = "dataset", base
        elif isinstance(base, str) and os.path.isdir(base) and _is_video_folder(base):
            self.kind = "folder"
        elif isinstance(base, str) and base.startswith(("/", ".", "~")) and not os.path.exists(base):
            raise FileNotFoundError(
                f"base {base!r} does not exist: pass a folder of videos, a dataset folder or a Hub dataset id"
            )
        elif isinstance(base, str) and base:
            self.kind = "hub"
        else:
            raise ValueError(f"base must be a folder, a Hub dataset id or a datasets.Dataset, got {base!r}")

    # ----------------------------------------------------------------- identity
    def fingerprint(self) -> str:
        """Changes whenever the base data changes: the folder's listing (names, sizes, mtimes), the Hub
        id and revision, or the dataset's own fingerprint."""
        if self.kind == "folder":
            listing = []
            for root, dirs, files in os.walk(self.base):
                dirs.sort()
                for name in sorted(files):
                    stat = os.stat(os.path.join(root, name))
                    listing.append(
                        (os.path.relpath(os.path.join(root, name), self.base), stat.st_size, stat.st_mtime_ns)
                    )
            payload: Any = listing
        elif self.kind == "hub":
            payload = [self.base, self.revision, self.split]
        else:
            payload = getattr(self._dataset, "_fingerprint", None) or datasets.fingerprint.Hasher.hash(
                self._dataset
            )
        return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()[:16]

    def describe(self) -> str:
        if self.kind == "dataset":
            return f"dataset:{self.fingerprint()}"
        return (
            str(self.base) if self.kind == "folder" else f"{self.base}@{self.revision or 'main'}:{self.split}"
        )

    # ----------------------------------------------------------------- shards
    def shards(self) -> list[Any]:
        """Independent pieces of work: one entry per video for folders, ``(index, count)`` otherwise."""
        if self.kind == "folder":
            entries = self._folder_entries()
            return entries[: self.max_videos] if self.max_videos else entries
        dataset = self._load()
        if isinstance(dataset, datasets.IterableDataset):
            return [(k, dataset.num_shards) for k in range(dataset.num_shards)]
        count = max(1, min(len(dataset), 64))
        return [(k, count) for k in range(count)]

    def iter_shard(self, shard: Any) -> Iterator[BaseExample]:
        if self.kind == "folder":
            path, metadata = shard
            video_id = os.path.splitext(os.path.relpath(path, self.base))[0]
            yield BaseExample(video_id=video_id, video=path, metadata=json.loads(metadata))
            return
        index, count = shard
        dataset = self._load()
        if isinstance(dataset, datasets.IterableDataset):
            part = dataset.shard(num_shards=count, index=index)
        else:
            part = dataset.shard(num_shards=count, index=index, contiguous=True)
        column = self._video_column(part)
        for position, row in enumerate(part):
            video_id = str(row.get("video_id") or row.get("id") or f"{self.split}-{index}-{position}")
            metadata = {k: v for k, v in row.items() if k != column}
            yield BaseExample(video_id=video_id, video=row[column], metadata=metadata)

    def unlisted_videos(self) -> list[str]:
        """Videos of a folder base that its metadata file does not name: like ``datasets``' own
        ``videofolder``, a build reads only the listed ones, and the summary counts the rest."""
        if self.kind != "folder":
            return []
        rows = _read_metadata(self.base)
        if rows is None:
            return []
        listed = {os.path.normpath(_safe_join(self.base, str(row["file_name"]))) for row in rows}
        return sorted(path for path in find_videos(self.base) if os.path.normpath(path) not in listed)

    # ----------------------------------------------------------------- internals
    def _folder_entries(self) -> list[tuple[str, str]]:
        rows = _read_metadata(self.base)
        if rows is None:
            return [(path, "{}") for path in find_videos(self.base)]
        entries = []
        for row in rows:
            path = _safe_join(self.base, str(row["file_name"]))
            metadata = {k: v for k, v in row.items() if k != "file_name"}
            entries.append((path, json.dumps(metadata, default=str)))
        return entries

    def _load(self) -> datasets.Dataset | datasets.IterableDataset:
        if self._dataset is None:
            if _is_dataset_folder(self.base):
                loaded = datasets.load_from_disk(self.base)
                self._dataset = loaded[self.split] if isinstance(loaded, datasets.DatasetDict) else loaded
            else:
                self._dataset = datasets.load_dataset(
                    self.base, split=self.split, revision=self.revision, streaming=self.streaming
                )
            if self.max_videos and isinstance(self._dataset, datasets.IterableDataset):
                self._dataset = self._dataset.take(self.max_videos)
            elif self.max_videos:
                self._dataset = self._dataset.select(range(min(self.max_videos, len(self._dataset))))
        dataset = self._dataset
        column = self._video_column(dataset)
        feature = (dataset.features or {}).get(column)
        if isinstance(feature, datasets.Video) and feature.decode:
            dataset = dataset.cast_column(
                column, datasets.Video(decode=False)
            )  # keep path/bytes, decode later
        return dataset

    def _video_column(self, dataset: Any) -> str:
        names = list(dataset.column_names or (dataset.features or {}).keys())
        if self.video_column in names:
            return self.video_column
        for name in _VIDEO_COLUMNS:
            if name in names:
                return name
        raise ValueError(
            f"base {self.describe()} has no video column {self.video_column!r}; columns: "
            f"{', '.join(names)}. Pass video_column=<name>."
        )


def _is_dataset_folder(path: str) -> bool:
    """A ``save_to_disk`` folder."""
    return any(os.path.isfile(os.path.join(path, name)) for name in ("dataset_dict.json", "state.json"))


def _is_video_folder(path: str) -> bool:
    """Videos (or a videofolder metadata file) rather than a dataset's data files."""
    if _is_dataset_folder(path):
        return False
    return any(os.path.isfile(os.path.join(path, name)) for name in METADATA_FILES) or bool(find_videos(path))
