"""kill -9 in the middle of a build, then re-run: it resumes from the response cache, pays for no finished
generation twice, and gives exactly the rows of an uninterrupted build."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

from datasets import load_dataset

import timewarp_hf  # noqa: F401
from timewarp_hf.testing import make_sample_videos

from ..pairs import build_summary, pair_texts

_CHILD = """
import sys, timewarp_hf
from datasets import load_dataset
load_dataset("timewarp", base=sys.argv[1], captioner=sys.argv[2], response_cache=sys.argv[3],
             cache_dir=sys.argv[4], warps=["reverse", "segment_swap"], videos_per_chunk=1, max_new_tokens=48,
             generation_batch_size=1, max_similarity=1.0, split="train")
"""


def test_kill_9_mid_build_then_rerun_resumes_from_the_response_cache(tmp_path, tiny_vlm):
    base = tmp_path / "many"
    make_sample_videos(base, 8, num_frames=16)
    cache_db = tmp_path / "resp.sqlite"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(base), tiny_vlm, str(cache_db), str(tmp_path / "c1")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and child.poll() is None:
        if cache_db.exists():
            try:
                done = sqlite3.connect(cache_db).execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 6:
                break
        time.sleep(0.05)
    assert child.poll() is None, "the build finished before it could be interrupted"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert 6 <= done < 24
    options = dict(
        captioner=tiny_vlm,
        warps=["reverse", "segment_swap"],
        videos_per_chunk=1,
        max_new_tokens=48,
        generation_batch_size=1,
        max_similarity=1.0,
        split="train",
    )
    resumed = load_dataset(
        "timewarp", base=str(base), response_cache=str(cache_db), cache_dir=str(tmp_path / "c1"), **options
    )
    assert build_summary(resumed)["cache_hits"] >= done
    assert (
        build_summary(resumed)["cache_hits"] + build_summary(resumed)["cache_misses"] == 24
    )  # 8 videos x 3 calls
    fresh = load_dataset(
        "timewarp",
        base=str(base),
        response_cache=str(tmp_path / "fresh.sqlite"),
        cache_dir=str(tmp_path / "c2"),
        **options,
    )
    assert pair_texts(resumed) == pair_texts(fresh)
