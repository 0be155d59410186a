"""An on-disk response cache for generation calls, in SQLite.

Every finished generation is committed to disk before the next batch starts, so a build killed at any
moment (Ctrl-C, ``kill -9``, a crash) loses nothing it paid for: the re-run finds those answers here and
produces identical rows. SQLite in WAL mode gives atomic writes and lets several build processes
(``num_proc``) share one cache file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..constants import timewarp_home
from .base import GenerationBackend, GenerationRequest

__all__ = ["CachedBackend", "ResponseCache", "default_cache_path"]


def default_cache_path() -> Path:
    """``$HF_HOME/timewarp/responses.sqlite`` (``~/.cache/huggingface`` by default)."""
    return timewarp_home() / "responses.sqlite"


class ResponseCache:
    """Key-value store of generated texts. Keys hash backend, model, parameters and the full request."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, text TEXT NOT NULL)")

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=60)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    @staticmethod
    def key(namespace: dict[str, Any], request: GenerationRequest) -> str:
        head = json.dumps(namespace, sort_keys=True, default=str)
        return hashlib.sha256(f"{head}|{request.fingerprint()}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        db = self._connection()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                db.execute(f"SELECT key, text FROM responses WHERE key IN ({marks})", chunk).fetchall()
            )
        return found

    def put_many(self, items: dict[str, str]) -> None:
        with self._connection() as db:  # one transaction, committed on exit
            db.executemany("INSERT OR REPLACE INTO responses (key, text) VALUES (?, ?)", list(items.items()))

    def __len__(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def __getstate__(self) -> dict[str, Any]:  # picklable for num_proc workers: reconnect there
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._local = threading.local()


class CachedBackend(GenerationBackend):
    """Serves cached answers and sends only the misses to the wrapped backend, in one batch.

    ``hits`` and ``misses`` count requests, for the build summary.
    """

    def __init__(self, backend: GenerationBackend, cache: ResponseCache):
        self.backend, self.cache = backend, cache
        self.name, self.model_id, self.supports_video = backend.name, backend.model_id, backend.supports_video
        self.hits = self.misses = 0

    def cache_namespace(self) -> dict[str, Any]:
        return self.backend.cache_namespace()

    def describe(self) -> str:
        return self.backend.describe()

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        namespace = self.backend.cache_namespace()
        keys = [ResponseCache.key(namespace, r) for r in requests]
        found = self.cache.get_many(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(requests) - len(missing)
        self.misses += len(missing)
        if missing:
            texts = self.backend.generate([requests[i] for i in missing])
            fresh = {keys[i]: text for i, text in zip(missing, texts)}
            self.cache.put_many(fresh)
            found.update(fresh)
        return [found[k] for k in keys]
