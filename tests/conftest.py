"""Shared test set-up: offline, one torch thread (two threads beside another busy process make a
training step ~40x slower on the 2-core reference machine), and session-wide synthetic assets."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("TEST_TORCH_THREADS", "1")))


@pytest.fixture(scope="session")
def assets(tmp_path_factory):
    """A folder for session-wide generated files (videos, tiny models)."""
    return tmp_path_factory.mktemp("assets")


@pytest.fixture(scope="session")
def counter_video(assets):
    """40 frames at 8 fps, 64x64, square moving right, frame number burned in."""
    from timewarp_hf.testing import make_synthetic_video

    return make_synthetic_video(assets / "counter.mp4", num_frames=40, fps=8)


@pytest.fixture(scope="session")
def scene_video(assets):
    """Three hard-cut scenes of 20, 15 and 25 frames (cuts at frames 20 and 35)."""
    from timewarp_hf.testing import make_synthetic_video

    return make_synthetic_video(assets / "scenes.mp4", num_frames=60, fps=10, scenes=[20, 15, 25])


@pytest.fixture(scope="session")
def tiny_vlm(assets):
    """A tiny random Qwen2-VL checkpoint folder."""
    from timewarp_hf.testing import make_tiny_vlm

    return str(make_tiny_vlm(assets / "tiny-qwen2vl", "qwen2_vl"))


@pytest.fixture(scope="session")
def tiny_lm(assets):
    """A tiny random Qwen2 text LM checkpoint folder."""
    from timewarp_hf.testing import make_tiny_lm

    return str(make_tiny_lm(assets / "tiny-qwen2lm", "qwen2"))


@pytest.fixture(scope="session")
def sample_videos(assets):
    """Three short clips with three hard-cut scenes each."""
    from timewarp_hf.testing import make_sample_videos

    folder = assets / "samples"
    make_sample_videos(folder, 3, num_frames=24)
    return folder


@pytest.fixture()
def isolated_datasets_cache(tmp_path, monkeypatch):
    """A fresh `datasets` cache for one test (as datasets' own test suite does)."""
    import datasets

    cache = tmp_path / "hf_datasets_cache"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setattr(datasets.config, "HF_UPDATE_DOWNLOAD_COUNTS", False)
    return cache
