"""Builds through the openai backend against a server that answers 429, 500, garbage and nothing at all:
retries with bounded waits, no lost or duplicated pairs, and a clear final error that keeps finished work."""

import json
import sqlite3

import pytest
from datasets import load_dataset

import timewarp_hf  # noqa: F401
from timewarp_hf.generation import GenerationError
from timewarp_hf.testing import make_sample_videos

from ..servers import ScriptedServer


def _build(base, tmp_path, url, cache, **extra):
    return load_dataset(
        "timewarp",
        base=str(base),
        captioner="openai:m",
        api_base=url,
        warps=["reverse"],
        response_cache=str(cache),
        cache_dir=str(tmp_path / f"ds-{cache.stem}"),
        split="train",
        max_concurrency=2,
        **extra,
    )


def _pairs(ds):
    """Rows keyed by what was asked (the server numbers its answers by arrival, so compare the structure)."""
    return sorted((r["video_id"], r["warp"], r["prompt"][0]["content"][1]["text"]) for r in ds)


def test_flaky_server_gives_the_same_pairs_as_a_clean_one(tmp_path, monkeypatch):
    base = tmp_path / "v"
    make_sample_videos(base, 3, num_frames=16)
    with ScriptedServer([]) as clean:
        reference = _build(base, tmp_path, clean.url, tmp_path / "clean.sqlite")
    script = [429, 500, "garbage", "hang", 503, "ok", 429, "ok", "garbage", "ok", "hang", "ok"]
    with ScriptedServer(script, hang_seconds=1.5) as flaky:
        from timewarp_hf.generation import openai_backend

        original = openai_backend.OpenAIBackend.__init__

        def fast(self, model, **kw):  # short timeout and backoff so the test's waits stay bounded
            original(self, model, **{**kw, "timeout": 0.5, "backoff": 0.01})

        monkeypatch.setattr(openai_backend.OpenAIBackend, "__init__", fast)
        flaky_ds = _build(base, tmp_path, flaky.url, tmp_path / "flaky.sqlite")
    assert _pairs(flaky_ds) == _pairs(reference) and len(flaky_ds) == 3
    assert len(set(_pairs(flaky_ds))) == len(flaky_ds)  # no duplicates
    summary = json.loads(flaky_ds.info.description)
    assert summary["cache_misses"] == 6 and summary["skipped"] == {}


def test_dead_server_fails_clearly_and_keeps_finished_generations(tmp_path, monkeypatch):
    base = tmp_path / "v"
    make_sample_videos(base, 4, num_frames=16)
    from timewarp_hf.generation import openai_backend

    original = openai_backend.OpenAIBackend.__init__
    monkeypatch.setattr(
        openai_backend.OpenAIBackend,
        "__init__",
        lambda self, model, **kw: original(self, model, **{**kw, "max_retries": 1, "backoff": 0.01}),
    )
    # the first chunk (2 videos x 2 calls) succeeds, then the server only answers 500
    with ScriptedServer(["ok"] * 4 + [500] * 100) as server:
        with pytest.raises(Exception) as info:
            _build(base, tmp_path, server.url, tmp_path / "dead.sqlite", videos_per_chunk=2)
    chain, error = [], info.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    final = next(e for e in chain if isinstance(e, GenerationError))
    assert "failed after 2 attempts; last error: HTTP 500" in str(final)
    kept = sqlite3.connect(tmp_path / "dead.sqlite").execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert kept == 4  # the finished chunk's answers survive for the next run
