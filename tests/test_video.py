import subprocess
import sys

import pytest
import torch

from timewarp_hf.corrupt import apply_corruption
from timewarp_hf.scenes import detect_scenes
from timewarp_hf.testing import CORRUPT_KINDS, make_corrupt_video, make_synthetic_video, read_frame_counter
from timewarp_hf.video import (
    Scene,
    VideoDecodeError,
    decode_frames,
    find_videos,
    open_video,
    read_info,
    sample_frames,
    sample_indices,
    scene_frame_ranges,
    scenes_from_metadata,
    trim_scenes,
)
from timewarp_hf.warps import apply_warp


def test_metadata(counter_video):
    info = read_info(counter_video)
    assert (info.fps, info.num_frames, info.width, info.height) == (8.0, 40, 64, 64)
    assert info.duration == pytest.approx(5.0)


@pytest.mark.parametrize("num_frames", [2, 5, 8, 16, 40])
def test_uniform_sampling_reads_back_the_burned_in_frame_numbers(counter_video, num_frames):
    frames = sample_frames(counter_video, num_frames=num_frames)
    assert len(frames) == num_frames and frames.indices == sorted(frames.indices)
    assert frames.indices[0] == 0 and frames.indices[-1] == 39
    assert [read_frame_counter(f) for f in frames.data] == frames.indices
    assert frames.timestamps == pytest.approx([i / 8 for i in frames.indices])


def test_fps_sampling_with_cap(counter_video):
    info = read_info(counter_video)
    assert sample_indices(info, fps=2) == list(range(0, 40, 4))
    capped = sample_indices(info, fps=4, max_frames=6)
    assert len(capped) == 6 and capped[0] == 0 and capped[-1] == 39
    assert sample_indices(info, num_frames=100) == list(range(40))  # never repeats a frame
    assert sample_indices(info, num_frames=4, start=1.0, end=2.0) == [8, 10, 13, 15]


def test_sources_path_bytes_dict_and_decoder_agree(counter_video):
    data = counter_video.read_bytes()
    from_path = sample_frames(counter_video, num_frames=4).data
    for source in (
        str(counter_video),
        data,
        {"path": None, "bytes": data},
        {"path": str(counter_video)},
        open_video(counter_video),
    ):
        assert torch.equal(sample_frames(source, num_frames=4).data, from_path)


def test_datasets_video_feature_value(counter_video):
    from datasets import Dataset, Video

    ds = Dataset.from_dict({"video": [str(counter_video)]}).cast_column("video", Video())
    frames = sample_frames(ds[0]["video"], num_frames=3)
    assert [read_frame_counter(f) for f in frames.data] == [0, 20, 39]


def test_warps_index_the_single_decode(counter_video):
    frames = sample_frames(counter_video, num_frames=8)
    warped = apply_warp("reverse", frames.indices)
    assert [read_frame_counter(f) for f in frames.take(warped.indices)] == warped.indices
    with pytest.raises(KeyError, match="was not decoded"):
        frames.take([1])


def test_decode_frames_validates_indices(counter_video):
    with pytest.raises(IndexError, match=r"\[0, 40\)"):
        decode_frames(counter_video, [0, 40])
    frames = decode_frames(counter_video, [30, 3, 3])
    assert frames.indices == [3, 30]


@pytest.mark.parametrize("kind", CORRUPT_KINDS)
def test_every_corrupt_file_raises_one_typed_error(tmp_path, kind):
    path = make_corrupt_video(tmp_path / f"{kind}.mp4", kind)
    with pytest.raises(VideoDecodeError) as info:
        sample_frames(path)
    assert str(path) in str(info.value) and info.value.kind in VideoDecodeError.KINDS
    expected = {"zero_bytes": "empty", "audio_only": "no_video_stream", "one_frame": "too_short"}
    if kind in expected:
        assert info.value.kind == expected[kind]


def test_corrupt_files_never_crash_or_hang_the_interpreter(tmp_path):
    """torchcodec is C++: run every bad file in a child process with a timeout to prove no segfault/hang."""
    paths = [str(make_corrupt_video(tmp_path / f"{k}.mp4", k)) for k in CORRUPT_KINDS]
    code = (
        "import sys; from timewarp_hf.video import sample_frames, VideoDecodeError; from timewarp_hf.scenes import detect_scenes\n"
        "for p in sys.argv[1:]:\n"
        "    for fn in (sample_frames, detect_scenes):\n"
        "        try: fn(p)\n"
        "        except VideoDecodeError as e: print(e.kind)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) >= 2 * len(paths) - 1  # one_frame has scenes: detect_scenes may succeed


def test_missing_file_and_bad_type(tmp_path):
    with pytest.raises(VideoDecodeError, match="missing"):
        open_video(tmp_path / "nope.mp4")
    with pytest.raises(TypeError, match="path, bytes or a Video value"):
        open_video(3.5)


def test_detect_scenes_finds_cuts_within_one_frame(scene_video):
    scenes = detect_scenes(scene_video)
    cuts = [round(s.start * 10) for s in scenes[1:]]
    assert len(cuts) == 2 and abs(cuts[0] - 20) <= 1 and abs(cuts[1] - 35) <= 1
    assert scenes[0].start == 0 and scenes[-1].end == pytest.approx(6.0)


def test_detect_scenes_on_a_cutless_video_gives_one_scene(counter_video):
    assert len(detect_scenes(counter_video)) == 1


def test_detect_scenes_streams_in_chunks_consistently(scene_video):
    assert detect_scenes(scene_video, chunk_size=7) == detect_scenes(scene_video, chunk_size=64)


def test_scenes_from_finevideo_metadata():
    content_metadata = {
        "scenes": [
            {
                "sceneId": 2,
                "activities": [
                    {
                        "description": "She pours tea.",
                        "timestamp": {"start_timestamp": "00:00:12.000", "end_timestamp": "00:00:20.500"},
                    }
                ],
            },
            {
                "sceneId": 1,
                "title": "Intro",
                "activities": [
                    {
                        "description": "A door opens.",
                        "timestamp": {"start_timestamp": "00:00:01.000", "end_timestamp": "00:00:05.000"},
                    },
                    {
                        "description": "A woman enters.",
                        "timestamp": {"start_timestamp": "00:00:05.000", "end_timestamp": "00:00:11.000"},
                    },
                ],
            },
        ]
    }
    scenes = scenes_from_metadata({"content_metadata": content_metadata})
    assert scenes == [Scene(1.0, 11.0, "A door opens. A woman enters."), Scene(12.0, 20.5, "She pours tea.")]
    assert scenes_from_metadata([[0, 2.5, "a"], [2.5, 4]]) == [Scene(0, 2.5, "a"), Scene(2.5, 4.0)]
    assert scenes_from_metadata([{"start": "0:03", "end": 7, "caption": "x"}]) == [Scene(3.0, 7.0, "x")]
    with pytest.raises(ValueError, match="timestamp"):
        scenes_from_metadata([["soon", 3]])


def test_trim_scenes_follows_the_original_rule():
    scenes = [Scene(0, 40), Scene(40, 100), Scene(100, 110), Scene(110, 115)]
    assert trim_scenes(scenes) == scenes[:2]
    assert trim_scenes(scenes, max_end=None) == scenes
    with pytest.raises(ValueError, match="need at least 3"):
        trim_scenes(scenes, min_scenes=3)


def test_scene_frame_ranges_cover_the_clip(scene_video):
    info = read_info(scene_video)
    ranges = scene_frame_ranges(detect_scenes(scene_video), info)
    assert ranges[0][0] == 0 and ranges[-1][1] == 60
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_find_videos(tmp_path, counter_video):
    (tmp_path / "sub").mkdir()
    for name in ("a.mp4", "sub/b.MKV", "notes.txt", ".hidden.mp4"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.split("/")[-1] for p in find_videos(tmp_path)] == ["a.mp4", "b.MKV"]
    assert find_videos(counter_video) == [str(counter_video)]
    with pytest.raises(FileNotFoundError):
        find_videos(tmp_path / "none")


def test_synthetic_video_validation(tmp_path):
    with pytest.raises(ValueError, match="direction"):
        make_synthetic_video(tmp_path / "x.mp4", direction="sideways")
    with pytest.raises(ValueError, match="sum to num_frames"):
        make_synthetic_video(tmp_path / "x.mp4", num_frames=10, scenes=[3, 3])


def test_moving_square_direction_is_visible(tmp_path):
    for direction, sign in (("right", 1), ("left", -1)):
        path = make_synthetic_video(
            tmp_path / f"{direction}.mp4", num_frames=16, direction=direction, counter=False
        )
        frames = sample_frames(path, num_frames=2).data.float().mean(1)  # (2, H, W)
        columns = frames.sum(1)  # brightness per column
        centre = [(c * torch.arange(64)).sum() / c.sum() for c in columns]
        assert sign * (centre[1] - centre[0]) > 10


def test_audio_track_is_optional(tmp_path):
    path = make_synthetic_video(tmp_path / "a.mp4", num_frames=16, audio=True)
    import av

    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 1
    assert read_info(path).num_frames == 16


def test_corruptions_are_seeded_and_keep_shape(counter_video):
    frames = sample_frames(counter_video, num_frames=4).data
    small = apply_corruption("downscale", frames)
    assert small.frames.shape == frames.shape and small.frames.dtype == torch.uint8
    assert not torch.equal(small.frames, frames)
    a = apply_corruption("color_jitter", frames, seed=1)
    b = apply_corruption("color_jitter", frames, seed=1)
    c = apply_corruption("color_jitter", frames, seed=2)
    assert torch.equal(a.frames, b.frames) and not torch.equal(a.frames, c.frames)
    assert a.record()["params"]["brightness"] == 0.5 and "frames" not in a.record()
    with pytest.raises(ValueError, match="accepted: color_jitter, downscale"):
        apply_corruption("blur", frames)
    with pytest.raises(ValueError, match=r"\(T, C, H, W\)"):
        apply_corruption("downscale", frames.float())
