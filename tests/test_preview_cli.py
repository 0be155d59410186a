import json

import pytest
from PIL import Image

from timewarp_hf.cli import main
from timewarp_hf.testing import make_corrupt_video, make_sample_videos
from timewarp_hf.warps import available_warps


def test_samples_then_preview_writes_pictures_and_summary(tmp_path, capsys):
    assert main(["samples", str(tmp_path / "videos"), "--count", "2", "--num-frames", "24"]) == 0
    make_corrupt_video(tmp_path / "videos" / "broken.mp4", "text")
    assert (
        main(["preview", str(tmp_path / "videos"), "--output", str(tmp_path / "out"), "--num-frames", "6"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["videos"] == 2 and printed["skipped"] == {"unreadable": 1}
    summary = json.loads((tmp_path / "out" / "warps_summary.json").read_text())
    assert len(summary["videos"]) == 2
    first = summary["videos"][0]
    assert len(first["scenes"]) == 3  # the sample clips have three hard-cut scenes
    assert {w["name"] for w in first["warps"]} == set(available_warps()) - {"identity"}  # every real warp
    picture = Image.open(tmp_path / "out" / first["picture"])
    assert picture.height > 9 * 64  # original row + one row per warp (8 specs)


def test_preview_rejects_a_bad_warp_before_decoding(tmp_path):
    videos = make_sample_videos(tmp_path / "v", 1, num_frames=12)
    with pytest.raises(ValueError, match="unknown warp 'rewind'"):
        main(["preview", str(videos[0]), "--output", str(tmp_path / "o"), "--warps", "rewind"])
    assert not (tmp_path / "o" / "warps_summary.json").exists()


def test_preview_with_no_videos_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="no video files found"):
        main(["preview", str(tmp_path / "empty")])
