"""Speed benchmark: what a TimeWarp pair build costs, and whether it batches and streams.

Four measurements, all taken in one run and printed as one table with their ratios:

1. **Build throughput** (pairs/s): a ``warped`` build (the default four warps) of a folder of distinct
   synthetic clips (48 frames, 96x64, three hard-cut scenes, a uniquely coloured moving square each)
   through ``TimeWarpBuilder(...).download_and_prepare()`` with a tiny random ``qwen2_vl`` model made by
   ``make_tiny_vlm``, a fresh response cache and a fresh ``cache_dir`` ("cold"). For comparison the same
   build runs again into a new ``cache_dir`` with the now warm response cache ("warm": every generation is
   a cache hit), which is what a resumed build pays for work already done.
2. **Where the build's time goes**: during the cold build of (1), ``PairPipeline.prepare`` (open, scene
   detection, frame decoding), the response-cached generation calls and backend loading are timed by
   wrapping them in this process; "other" is the rest (datasets' Arrow writing, warps, filtering, hashing).
   As a cross-check, ``prepare`` alone is re-run over the same videos outside any build.
3. **Batched vs one-at-a-time generation**: the same list of ``GenerationRequest`` (8 decoded frames + a
   question from the warped question pool) through ``TransformersBackend(batch_size=8)`` and
   ``TransformersBackend(batch_size=1)`` sharing one loaded tiny model, after a warm-up, alternating the two
   for ``--repeats`` rounds; the median times give the speedup (target: at least 3x at batch 8). How many
   of the answers agree between the two is printed too (greedy decoding; left padding may perturb a random
   model's logits).
4. **Peak RSS at 50 vs 500 videos** (target ratio at most 1.2: the build streams over videos instead of
   holding them). Each size is a fresh subprocess (``--child N``) building from its own folder of small
   distinct clips (16 frames, 64x64, three scenes), reading ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
   at the end. That process peak includes importing torch/datasets/transformers, which can exceed
   anything the build does, so the child also resets the kernel's high-water mark once the imports are
   done (``/proc/self/clear_refs``) and reads ``VmHWM`` at the end: the "build peak". "growth" is the
   build peak minus the RSS at build start; its 500/50 ratio is the most sensitive streaming check.
   Backends: ``dummy`` is a ``GenerationBackend`` defined here that answers with words derived from each
   request's fingerprint (instant; it goes through the real ``CachedBackend`` + SQLite cache), so the
   numbers reflect the build machinery rather than a model; ``tiny`` is the tiny ``qwen2_vl`` model through
   ``TransformersBackend``. Every row says which backend it used.

Why: a build is meant to be limited by generation, to batch it (issue 3: "at least 3x at batch 8"), and to
stream (memory flat in the number of videos). This script measures those claims on CPU with models that
are too small to say anything about answer quality; absolute numbers depend on the machine.

Run: ``OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_build.py [--videos 32]
[--requests 64] [--sizes 50 500] [--rss-backends dummy tiny] [--keep]``. It is a speed benchmark, not a test: it
prints tables and result lines (:mod:`bench_common`) and asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench_common import (
    machine,
    make_clips,
    markdown_table,
    mib,
    python_command,
    result,
    run_child,
    scratch,
    verdict,
)

DUMMY_SPEC = "bench-dummy"  # captioner spec the patched load_backend turns into FingerprintEchoBackend
WARPS = ("reverse", "scene_shuffle", "segment_swap", "local_shuffle")
BUILD_CLIP = {"num_frames": 48, "width": 96, "height": 64, "scenes": (16, 16, 16)}
RSS_CLIP = {"num_frames": 16, "width": 64, "height": 64, "scenes": (6, 5, 5)}


def _setup_environment(progress: bool) -> None:
    """Threads and offline mode as the brief says, quiet libraries (before torch/datasets import)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not progress:
        os.environ["TQDM_DISABLE"] = "1"
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _quiet_libraries() -> None:
    import logging
    import warnings

    import datasets

    datasets.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    logging.getLogger("timewarp_hf").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


# ------------------------------------------------------------------------------------------ the clips


def link_subset(paths: list[Path], directory: Path) -> Path:
    """A folder holding the given clips as hard links (copies where links are not possible)."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = directory / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    return directory


# ------------------------------------------------------------------------------------------ backends


def fingerprint_echo_backend():
    """A ``GenerationBackend`` that answers instantly with words derived from the request's fingerprint:
    distinct requests get distinct answers (so pairs pass the quality filter) and nothing is modelled."""
    from timewarp_hf.generation import GenerationBackend

    class FingerprintEchoBackend(GenerationBackend):
        name = "dummy"
        model_id = "fingerprint-echo"
        supports_video = True

        def generate(self, requests):
            texts = []
            for request in requests:
                digest = request.fingerprint()
                texts.append("the clip shows " + " ".join(digest[k : k + 4] for k in range(0, 40, 4)))
            return texts

    return FingerprintEchoBackend()


class Timers:
    """Seconds spent in the wrapped functions, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"prepare": 0.0, "generate": 0.0, "load_backend": 0.0}
        self.calls: dict[str, int] = dict.fromkeys(self.seconds, 0)

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.calls[name] += 1

        return timed


@contextlib.contextmanager
def instrumented_build(timers: Timers) -> Iterator[None]:
    """Time ``PairPipeline.prepare``, ``CachedBackend.generate`` and backend loading inside a build, and let
    the captioner spec ``DUMMY_SPEC`` load :func:`fingerprint_echo_backend`. Restores everything on exit."""
    import timewarp_hf.pipeline as pipeline_module
    from timewarp_hf.generation import CachedBackend

    original_prepare = pipeline_module.PairPipeline.prepare
    original_generate = CachedBackend.generate
    original_load = pipeline_module.load_backend

    def load_backend(spec, **options):
        if spec == DUMMY_SPEC:
            return fingerprint_echo_backend()
        if os.environ.get("TQDM_DISABLE") == "1":  # the backend passes disable= explicitly; ask it here
            options["progress"] = False
        return original_load(spec, **options)

    pipeline_module.PairPipeline.prepare = timers.wrap("prepare", original_prepare)
    CachedBackend.generate = timers.wrap("generate", original_generate)
    pipeline_module.load_backend = timers.wrap("load_backend", load_backend)
    try:
        yield
    finally:
        pipeline_module.PairPipeline.prepare = original_prepare
        CachedBackend.generate = original_generate
        pipeline_module.load_backend = original_load


def run_build(
    base: Path,
    captioner: str,
    work: Path,
    tag: str,
    *,
    response_cache: Path,
    max_new_tokens: int,
    batch_size: int,
) -> dict[str, Any]:
    """One ``warped`` build through ``TimeWarpBuilder.download_and_prepare``; wall time, summary, timers."""
    from timewarp_hf import TimeWarpBuilder
    from timewarp_hf.timewarp import SUMMARY_FILE

    timers = Timers()
    builder = TimeWarpBuilder(
        base=str(base),
        recipe="warped",
        warps=list(WARPS),
        captioner=captioner,
        response_cache=str(response_cache),
        max_new_tokens=max_new_tokens,
        generation_batch_size=batch_size,
        cache_dir=str(work / f"hf_cache_{tag}"),
    )
    with instrumented_build(timers):
        start = time.perf_counter()
        builder.download_and_prepare()
        wall = time.perf_counter() - start
    summary_path = Path(builder.cache_dir) / SUMMARY_FILE
    summary = (
        json.loads(summary_path.read_text())
        if summary_path.exists()
        else json.loads(builder.info.description)
    )
    rows = builder.info.splits["train"].num_examples
    return {
        "wall": wall,
        "pairs": summary["num_pairs"],
        "rows": rows,
        "videos": summary["videos_seen"],
        "skipped": summary["skipped"],
        "filtered": summary["filtered"],
        "hits": summary["cache_hits"],
        "misses": summary["cache_misses"],
        "timers": timers.seconds,
        "calls": timers.calls,
    }


# ------------------------------------------------------------------------------------------ sections


def prepare_alone(paths: list[Path], model: str) -> tuple[float, list[Any]]:
    """``PairPipeline.prepare`` over ``paths`` outside a build, with the build's config; returns the time
    and the prepared videos."""
    from timewarp_hf.config import TimeWarpConfig
    from timewarp_hf.pipeline import PairPipeline
    from timewarp_hf.sources import BaseExample

    pipeline = PairPipeline(TimeWarpConfig(recipe="warped", warps=WARPS, captioner=model))
    start = time.perf_counter()
    prepared = [pipeline.prepare(BaseExample(video_id=p.stem, video=str(p))) for p in paths]
    return time.perf_counter() - start, prepared


def bench_batching(
    prepared: list[Any], model: str, *, count: int, repeats: int, max_new_tokens: int
) -> dict[str, Any]:
    """The same requests through batch_size=8 and batch_size=1 on one loaded model, alternated."""
    from timewarp_hf.generation import GenerationRequest, TransformersBackend
    from timewarp_hf.prompts import WARPED_QUESTIONS
    from timewarp_hf.recipes.base import video_messages

    requests = []
    for i in range(count):
        video = prepared[i % len(prepared)]
        question = WARPED_QUESTIONS[(i // len(prepared) + i) % len(WARPED_QUESTIONS)]
        requests.append(
            GenerationRequest(video_messages(question), frames=video.frames.data, fps=video.presentation_fps)
        )
    batched = TransformersBackend(model, batch_size=8, max_new_tokens=max_new_tokens, progress=False)
    single = TransformersBackend(
        batched.model, batched.processor, batch_size=1, max_new_tokens=max_new_tokens, progress=False
    )
    batched.generate(requests[:8])  # warm-up: kernels, allocator, processor caches
    single.generate(requests[:8])
    times: dict[int, list[float]] = {8: [], 1: []}
    outputs: dict[int, list[str]] = {}
    for _ in range(repeats):
        for backend in (batched, single):
            start = time.perf_counter()
            outputs[backend.batch_size] = backend.generate(requests)
            times[backend.batch_size].append(time.perf_counter() - start)
    same = sum(a == b for a, b in zip(outputs[8], outputs[1]))
    chars = {size: sum(len(t) for t in texts) for size, texts in outputs.items()}
    return {"times": times, "same": same, "count": count, "chars": chars}


def _proc_status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (``VmHWM``) to the current RSS (Linux >= 4.0).

    ``ru_maxrss`` is not always reset with it (it also keeps the peak seen when a thread exited), so the
    build's own peak is read from ``VmHWM``."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return (_proc_status_kib("VmHWM") or 0) <= (_proc_status_kib("VmRSS") or 0) + 1024


def child_main(args: argparse.Namespace) -> None:
    """``--child N``: one build over a prepared folder, then print its memory use as a JSON line.

    Reports ``ru_maxrss`` at the end (the process peak, imports included) and, after resetting the
    high-water mark once the imports are done, ``VmHWM`` at the end: the peak reached while building
    (where resetting is not possible that falls back to ``ru_maxrss`` and ``reset`` says so)."""
    _quiet_libraries()
    import timewarp_hf  # noqa: F401  (registers the builder, imports datasets)
    import timewarp_hf.pipeline  # noqa: F401  (torch, the pipeline)
    import timewarp_hf.timewarp  # noqa: F401  (the builder)

    if args.child_backend == "tiny":
        import timewarp_hf.generation.transformers_backend  # noqa: F401  (transformers, as a build would)
    imports_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset = _reset_peak_rss()
    start_rss = _proc_status_kib("VmRSS") or imports_peak
    work = Path(args.child_work)
    captioner = DUMMY_SPEC if args.child_backend == "dummy" else args.child_model
    measured = run_build(
        Path(args.child_base),
        captioner,
        work,
        f"rss{args.child}",
        response_cache=work / f"responses_rss{args.child}.sqlite",
        max_new_tokens=args.max_new_tokens,
        batch_size=8,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    measured.update(
        build_peak_kib=_proc_status_kib("VmHWM") if reset else peak,
        peak_kib=peak,
        imports_peak_kib=imports_peak,
        start_kib=start_rss,
        reset=reset,
        end_kib=_proc_status_kib("VmRSS"),
    )
    print(json.dumps(measured), flush=True)  # the last line: what spawn_child reads


def spawn_child(size: int, backend: str, base: Path, model: Path, work: Path, args) -> dict[str, Any]:
    """One ``--child`` build in a fresh process (its own peak RSS); its memory use."""
    command = python_command(
        __file__,
        *("--child", size, "--child-backend", backend, "--child-base", base, "--child-model", model),
        *("--child-work", work, "--max-new-tokens", args.max_new_tokens),
    )
    return run_child(command, env=dict(os.environ))


def say(text: str) -> None:
    print(text, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=32, help="clips in the throughput build (1, 2)")
    parser.add_argument("--requests", type=int, default=64, help="requests in the batching comparison (3)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per batch size (3)")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[50, 500], help="video counts for peak RSS (4)"
    )
    parser.add_argument(
        "--rss-backends",
        nargs="+",
        choices=["dummy", "tiny"],
        default=["dummy", "tiny"],
        help="backends for the RSS builds (4)",
    )
    parser.add_argument("--max-new-tokens", type=int, default=256, help="answer length (the config default)")
    parser.add_argument("--batch-size", type=int, default=8, help="generation_batch_size of the builds")
    parser.add_argument("--skip", nargs="*", default=[], choices=["build", "batching", "rss"])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument("--progress", action="store_true", help="show tqdm bars")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-backend", choices=["dummy", "tiny"], help=argparse.SUPPRESS)
    parser.add_argument("--child-base", help=argparse.SUPPRESS)
    parser.add_argument("--child-model", help=argparse.SUPPRESS)
    parser.add_argument("--child-work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _setup_environment(args.progress)
    if args.child is not None:
        child_main(args)
        return
    _quiet_libraries()

    import datasets
    import torch
    import transformers

    from timewarp_hf.testing import make_tiny_vlm

    started = time.perf_counter()
    with scratch("bench_build_", args.keep) as work:
        model = make_tiny_vlm(work / "tiny_qwen2_vl", "qwen2_vl")
        tiny = "transformers:tiny qwen2_vl"
        say("timewarp-hf build speed benchmark")
        say(
            f"  {machine()}, torch {torch.__version__} ({torch.get_num_threads()} intra-op threads), "
            f"datasets {datasets.__version__}, transformers {transformers.__version__}"
        )
        say(
            f"  model: tiny random qwen2_vl from make_tiny_vlm (CPU, float32); max_new_tokens="
            f"{args.max_new_tokens}; recipe=warped, warps={','.join(WARPS)}"
        )
        ratios: list[list[Any]] = []

        if "build" not in args.skip:
            clips = make_clips(work / "build_clips", args.videos, **BUILD_CLIP)
            cache = work / "responses_build.sqlite"
            cold, warm = (  # the second build finds every answer in the response cache the first filled
                run_build(
                    work / "build_clips",
                    str(model),
                    work,
                    tag,
                    response_cache=cache,
                    max_new_tokens=args.max_new_tokens,
                    batch_size=args.batch_size,
                )
                for tag in ("cold", "warm")
            )
            alone, _ = prepare_alone(clips, str(model))
            say(
                f"\n[1] build throughput: TimeWarpBuilder(...).download_and_prepare(), {args.videos} clips "
                f"{BUILD_CLIP['num_frames']}f {BUILD_CLIP['width']}x{BUILD_CLIP['height']}, "
                f"generation_batch_size={args.batch_size}"
            )
            rows = []
            for name, r in (("cold response cache", cold), ("warm response cache", warm)):
                rows.append(
                    [
                        name,
                        tiny,
                        r["videos"],
                        f"{r['hits']}/{r['misses']}",
                        r["pairs"],
                        sum(r["filtered"].values()),
                        f"{r['wall']:.2f}",
                        f"{r['pairs'] / r['wall']:.2f}",
                        f"{r['videos'] / r['wall']:.2f}",
                    ]
                )
            say(
                markdown_table(
                    [
                        "build",
                        "backend",
                        "videos",
                        "hits/misses",
                        "pairs",
                        "filtered",
                        "wall s",
                        "pairs/s",
                        "videos/s",
                    ],
                    rows,
                )
            )
            if cold["filtered"] or cold["skipped"]:
                say(f"  filtered: {cold['filtered']}  skipped: {cold['skipped']}  (random model output)")
            t = cold["timers"]
            other = cold["wall"] - t["prepare"] - t["generate"] - t["load_backend"]
            say(f"\n[2] where the cold build's {cold['wall']:.2f} s go ({tiny}; wrapped in this process)")
            parts = [
                ("decode: PairPipeline.prepare", cold["calls"]["prepare"], t["prepare"]),
                ("generate: CachedBackend.generate", cold["calls"]["generate"], t["generate"]),
                ("load backend (model)", cold["calls"]["load_backend"], t["load_backend"]),
                ("other (Arrow writing, warps, filter, hashing)", "", other),
                ("cross-check: prepare alone, same clips", len(clips), alone),
            ]
            rows = [[name, calls, f"{s:.2f}", f"{100 * s / cold['wall']:.1f}%"] for name, calls, s in parts]
            say(markdown_table(["part", "calls", "seconds", "share of build"], rows))
            wt = warm["timers"]
            say(
                f"  warm build: decode {wt['prepare']:.2f} s = {100 * wt['prepare'] / warm['wall']:.1f}% "
                f"of {warm['wall']:.2f} s (generation served from the cache)"
            )
            ratios.append(["pairs/s, cold build", f"{cold['pairs'] / cold['wall']:.2f}", "", tiny])
            ratios.append(["decode share of cold build", f"{t['prepare'] / cold['wall']:.3f}", "", tiny])
            ratios.append(["warm/cold build speed", f"{cold['wall'] / warm['wall']:.2f}x", "", tiny])

        if "batching" not in args.skip:
            clip_dir = work / "build_clips"
            clips = (
                sorted(clip_dir.glob("*.mp4"))
                if clip_dir.is_dir()
                else make_clips(clip_dir, args.videos, **BUILD_CLIP)
            )
            _, prepared = prepare_alone(clips, str(model))
            b = bench_batching(
                prepared,
                str(model),
                count=args.requests,
                repeats=args.repeats,
                max_new_tokens=args.max_new_tokens,
            )
            med = {size: statistics.median(ts) for size, ts in b["times"].items()}
            say(
                f"\n[3] batched vs one-at-a-time: {b['count']} requests (8 frames + question), "
                f"TransformersBackend, median of {args.repeats} alternating rounds after warm-up"
            )
            rows = [
                [
                    f"batch_size={size}",
                    tiny,
                    b["count"],
                    f"{med[size]:.2f}",
                    " ".join(f"{x:.2f}" for x in b["times"][size]),
                    f"{b['count'] / med[size]:.1f}",
                    b["chars"][size],
                ]
                for size in (8, 1)
            ]
            say(
                markdown_table(
                    ["generation", "backend", "requests", "median s", "rounds s", "requests/s", "chars out"],
                    rows,
                )
            )
            say(f"  answers identical between batch 8 and batch 1: {b['same']}/{b['count']}")
            speedup = med[1] / med[8]
            ratios.append(
                [
                    "batch 8 vs batch 1 speedup",
                    f"{speedup:.2f}x",
                    verdict(speedup, 3, higher_is_better=True, unit="x"),
                    tiny,
                ]
            )

        if "rss" not in args.skip:
            spec = RSS_CLIP
            all_clips = make_clips(work / "rss_clips", max(args.sizes), **spec)
            say(
                f"\n[4] peak RSS per build, each in a fresh subprocess (--child N); clips {spec['num_frames']}f "
                f"{spec['width']}x{spec['height']}, 3 scenes, all distinct"
            )
            sizes = sorted(set(args.sizes))
            bases = {size: link_subset(all_clips[:size], work / f"rss_base_{size}") for size in sizes}
            rows, peaks = [], {}
            for backend in args.rss_backends:
                label = f"dummy ({DUMMY_SPEC}: fingerprint echo, no model)" if backend == "dummy" else tiny
                for size in sizes:
                    base = bases[size]
                    child_work = work / f"rss_{backend}_{size}"
                    child_work.mkdir()
                    r = spawn_child(size, backend, base, model, child_work, args)
                    peaks[backend, size] = r
                    rows.append(
                        [
                            label,
                            size,
                            r["pairs"],
                            f"{r['wall']:.1f}",
                            f"{r['pairs'] / r['wall']:.1f}",
                            f"{100 * r['timers']['prepare'] / r['wall']:.0f}%",
                            mib(r["peak_kib"]),
                            mib(r["start_kib"]),
                            mib(r["build_peak_kib"]),
                            mib(r["build_peak_kib"] - r["start_kib"], 1),
                            mib(r["end_kib"]),
                        ]
                    )
            headers = [
                "backend",
                "videos",
                "pairs",
                "wall s",
                "pairs/s",
                "decode",
                "ru_maxrss",
                "build start",
                "build peak",
                "growth",
                "end",
            ]
            say(markdown_table(headers, rows))
            reset = all(r["reset"] for r in peaks.values())
            say(
                "  MiB. ru_maxrss: the child's peak RSS (getrusage), imports included. build start: RSS after "
                "the imports. build peak: "
                + (
                    "VmHWM after resetting it at build start (/proc/self/clear_refs)"
                    if reset
                    else "ru_maxrss (the high-water mark could NOT be reset here)"
                )
                + ". growth = build peak - build start. end: RSS when the build returned."
            )
            if all(r["peak_kib"] > r["build_peak_kib"] for r in peaks.values()):
                say(
                    "  ru_maxrss was set by the imports in every child (above the build peak), so its ratio is 1 "
                    "by construction; the build-peak and growth ratios are the informative ones."
                )
            small, large = sizes[0], sizes[-1]
            for backend in args.rss_backends:
                a, z = peaks[backend, small], peaks[backend, large]
                label = "dummy" if backend == "dummy" else tiny
                for name, key in (("peak RSS (ru_maxrss)", "peak_kib"), ("build peak RSS", "build_peak_kib")):
                    ratio = z[key] / a[key]
                    ratios.append(
                        [
                            f"{name} {large} vs {small} videos",
                            f"{ratio:.3f}",
                            verdict(ratio, 1.2, higher_is_better=False),
                            label,
                        ]
                    )
                growth_a, growth_z = (
                    a["build_peak_kib"] - a["start_kib"],
                    z["build_peak_kib"] - z["start_kib"],
                )
                ratios.append(
                    [
                        f"  growth during build {large} vs {small}",
                        f"{growth_z / max(growth_a, 1):.2f}",
                        f"{growth_a / 1024:.1f} -> {growth_z / 1024:.1f} MiB",
                        label,
                    ]
                )

        say("\nratios (all measured in this run)")
        say(markdown_table(["measure", "value", "verdict", "backend"], ratios))
        for measure, value, verdict_text, backend in ratios:
            result("build", f"{measure.strip()} [{backend}]", value, verdict_text or "report")
        say(f"\ntotal time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
