"""The TimeWarp demo (the Hub Space and ``timewarp demo``): warp a video, compare two models, see the pair.

A user uploads a short video or picks a sample and asks a temporal question. The app shows the warps as
frame strips, the answers of the base model and of the TimeWarp-trained model side by side, and the
preference pairs the ``timewarp`` builder would make from this video. The pairs come from the builder's own
:class:`~timewarp_hf.pipeline.PairPipeline` (warped recipe, quality filter included), not from a re-creation,
so the demo cannot drift from what a build does; the strips use the same per-video warp seed.

The work lives in :class:`TimeWarpDemo` (no Gradio), the page in :func:`build_demo`, so ``hub_cards/space/
app.py`` is three lines and tests drive the same code a visitor does. Without model ids it runs tiny random
stand-ins (made once into a cache folder): the pipeline is real, the answers are gibberish.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from .config import TimewarpConfig, TimewarpConfigError
from .constants import timewarp_home
from .export import message_text
from .generation import CachedBackend, GenerationBackend, GenerationRequest, ResponseCache
from .hub.common import SPACE_CONFIG_FILE
from .pipeline import PairPipeline
from .prompts import WARPED_QUESTIONS
from .recipes.base import PreparedVideo, RecipeContext, video_messages
from .sources import BaseExample
from .video import VideoDecodeError, read_info
from .visualize import warp_strip
from .warps import WarpError, WarpResult, apply_warp

__all__ = [
    "ALLOWED_EXTENSIONS",
    "DEMO_WARPS",
    "MAX_DURATION_S",
    "MAX_UPLOAD_BYTES",
    "DemoInputError",
    "DemoResult",
    "TimeWarpDemo",
    "build_demo",
    "DemoArguments",
    "launch_options",
    "run_demo",
    "sample_videos",
    "space_models",
    "tiny_models",
]

logger = logging.getLogger(__name__)

DEMO_WARPS = ("reverse", "scene_shuffle", "segment_swap", "local_shuffle", "frame_drop", "freeze", "speed")
DEFAULT_WARPS = ("reverse", "scene_shuffle", "local_shuffle")
DEFAULT_QUESTION = WARPED_QUESTIONS[1]
ALLOWED_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv", ".m4v")
# A Space shares one CPU or GPU between visitors: short clips only.
MAX_UPLOAD_BYTES = 20 * 1024**2
MAX_DURATION_S = 60.0
TINY_FAMILY = "qwen2_vl"


class DemoInputError(ValueError):
    """The upload or the options cannot be used; the message is shown to the visitor as is."""


@dataclass
class DemoResult:
    """What one click shows: the strip, both answers, the pairs (records without the video bytes) and a
    Markdown line saying how many pairs the filter kept and why others were dropped."""

    strip: Image.Image
    base_answer: str
    timewarp_answer: str
    pairs: list[dict[str, Any]]
    report: str


def default_cache_dir() -> Path:
    """``$HF_HOME/timewarp/demo``: tiny models and sample videos, made once and reused."""
    return timewarp_home() / "demo"


def tiny_models(cache_dir: str | os.PathLike | None = None) -> tuple[str, str]:
    """Two tiny random Video-LLMs (different seeds) standing in for the base and the TimeWarp model."""
    from .testing import make_tiny_vlm

    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    paths = []
    for name, seed in (("tiny-base", 0), ("tiny-timewarp", 1)):
        path = folder / name
        if not (path / "config.json").is_file():
            make_tiny_vlm(path, TINY_FAMILY, seed=seed)
        paths.append(str(path))
    return paths[0], paths[1]


def sample_videos(cache_dir: str | os.PathLike | None = None) -> list[Path]:
    """Synthetic sample clips (three hard-cut scenes, a square moving in a known direction)."""
    from .testing import make_sample_videos

    folder = (Path(cache_dir) if cache_dir else default_cache_dir()) / "samples"
    existing = sorted(folder.glob("*.mp4"))
    return existing or make_sample_videos(folder, 3, num_frames=48)


def space_models(folder: str | os.PathLike | None = None) -> dict[str, str | None]:
    """The models a Space runs: ``TIMEWARP_BASE_MODEL``/``TIMEWARP_MODEL`` (Space variables), else the
    ``timewarp_demo.json`` that ``timewarp push space`` writes next to ``app.py``, else tiny stand-ins."""
    path = Path(folder or Path.cwd()) / SPACE_CONFIG_FILE
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    return {
        "base_model": os.environ.get("TIMEWARP_BASE_MODEL") or recorded.get("base_model"),
        "timewarp_model": os.environ.get("TIMEWARP_MODEL") or recorded.get("timewarp_model"),
    }


def launch_options() -> dict[str, Any]:
    """``Blocks.launch`` options every launch uses: the upload size limit, enforced by Gradio's server."""
    return {"max_file_size": MAX_UPLOAD_BYTES}


def check_upload(path: str | os.PathLike | None) -> None:
    """Refuse what the demo should not decode: no file, a non-video extension, an oversized or long file.

    Gradio's ``max_file_size`` already stops large uploads at the server; this also covers the Python API
    and local files, and checks the duration, which needs the container's header.
    """
    if not path:
        raise DemoInputError("upload a video or pick a sample first")
    path = Path(path)
    if path.suffix.lower() not in ALLOWED_EXTENSIONS:
        raise DemoInputError(
            f"{path.suffix or 'this file'} is not accepted; use {', '.join(ALLOWED_EXTENSIONS)}"
        )
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise DemoInputError(
            f"the video is {size / 1024**2:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1024**2} MB"
        )
    try:
        info = read_info(path)
    except VideoDecodeError as exc:
        raise DemoInputError(f"cannot read this video: {exc}") from None
    if info.duration > MAX_DURATION_S:
        raise DemoInputError(f"the video lasts {info.duration:.0f} s; the limit is {MAX_DURATION_S:.0f} s")


class TimeWarpDemo:
    """The demo's work, without Gradio.

    Args:
        base_model, timewarp_model: paths or Hub ids of two Video-LLMs (loaded on first use).
        max_new_tokens: answer length.
        cache_dir: where the response cache lives (the base model's answer on the true frames is computed
            once, by the pipeline, and reused for the side-by-side view).
        device_map: passed to ``from_pretrained`` (``"auto"`` on a GPU Space).
    """

    def __init__(
        self,
        base_model: str,
        timewarp_model: str,
        *,
        max_new_tokens: int = 48,
        cache_dir: str | os.PathLike | None = None,
        device_map: str | None = None,
    ):
        self.base_model, self.timewarp_model = base_model, timewarp_model
        self.max_new_tokens, self.device_map = max_new_tokens, device_map
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._lock = threading.Lock()
        self._backends: tuple[GenerationBackend, GenerationBackend] | None = None

    def backends(self) -> tuple[GenerationBackend, GenerationBackend]:
        """The base model (behind the response cache) and the TimeWarp model, loaded once."""
        with self._lock:
            if self._backends is None:
                from .generation import TransformersBackend

                options = {
                    "max_new_tokens": self.max_new_tokens,
                    "device_map": self.device_map,
                    "progress": False,
                }
                base = TransformersBackend(self.base_model, **options)
                cache = ResponseCache(self.cache_dir / "responses.sqlite")
                self._backends = (
                    CachedBackend(base, cache),
                    TransformersBackend(self.timewarp_model, **options),
                )
            return self._backends

    def run(
        self, video: str | os.PathLike | None, question: str, warps: Sequence[str], num_frames: int = 8
    ) -> DemoResult:
        """Warp ``video``, answer ``question`` with both models, and make the builder's pairs."""
        check_upload(video)
        if not warps:
            raise DemoInputError("pick at least one warp")
        question = (question or "").strip() or DEFAULT_QUESTION
        try:
            config = TimewarpConfig(
                recipe="warped",
                warps=tuple(warps),
                captioner=self.base_model,
                questions=(question,),
                num_frames=int(num_frames),
                max_new_tokens=self.max_new_tokens,
            )
        except TimewarpConfigError as exc:
            raise DemoInputError(str(exc)) from None
        base, timewarp = self.backends()
        pipeline = PairPipeline(config, "demo upload", captioner=base)
        example = BaseExample(video_id=Path(video).stem, video=str(video))
        try:
            prepared = pipeline.prepare(example)
        except VideoDecodeError as exc:
            raise DemoInputError(f"cannot use this video: {exc}") from None
        results, not_applicable = self._warps(prepared, config)
        records = list(pipeline.run([example]))
        request = GenerationRequest(
            video_messages(question), frames=prepared.frames.data, fps=prepared.presentation_fps
        )
        base_answer = base.generate([request])[0]
        timewarp_answer = timewarp.generate([request])[0]
        pairs = [
            {k: (json.loads(v) if k == "warp" else v) for k, v in r.items() if k != "video"} for r in records
        ]
        return DemoResult(
            strip=warp_strip(prepared.frames, results),
            base_answer=base_answer,
            timewarp_answer=timewarp_answer,
            pairs=pairs,
            report=_report(len(records), pipeline.counters, not_applicable),
        )

    @staticmethod
    def _warps(prepared: PreparedVideo, config: TimewarpConfig) -> tuple[list[WarpResult], dict[str, str]]:
        """The warps the warped recipe applies to this video (same seed), and why others cannot apply."""
        seed = RecipeContext(config, None, None, Counter()).seed_for(prepared, "warp")
        results, not_applicable = [], {}
        for spec in config.warps:
            try:
                results.append(
                    apply_warp(spec, prepared.frames.indices, seed=seed, scenes=prepared.ranges or None)
                )
            except WarpError as exc:
                not_applicable[spec] = str(exc)
        return results, not_applicable


def _report(kept: int, counters: Counter, not_applicable: dict[str, str]) -> str:
    filtered = {k.split("/", 1)[1]: v for k, v in counters.items() if k.startswith("filtered/")}
    lines = [f"**{kept} preference pair{'s' if kept != 1 else ''}** kept by the builder's quality filter."]
    if filtered:
        lines.append("Dropped: " + ", ".join(f"{n} {reason}" for reason, n in sorted(filtered.items())) + ".")
    for spec, reason in not_applicable.items():
        lines.append(f"`{spec}` does not apply to this video: {reason}.")
    return "\n\n".join(lines)


def build_demo(
    base_model: str | None = None,
    timewarp_model: str | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    max_new_tokens: int = 48,
    device_map: str | None = None,
):
    """The Gradio Blocks app. Without models, tiny stand-ins are made in ``cache_dir`` (once).

    Not launched here: ``demo.launch(**launch_options())`` in the Space, :func:`run_demo` locally, and
    tests launch it on a free port.
    """
    from .extras import import_extra
    from .hub.privacy import scrub_local_paths

    gr = import_extra("gradio", "demo")

    if (base_model is None) != (timewarp_model is None):
        raise ValueError("give both base_model and timewarp_model, or neither (tiny stand-ins)")
    tiny = base_model is None
    if tiny:
        base_model, timewarp_model = tiny_models(cache_dir)
    engine = TimeWarpDemo(
        base_model, timewarp_model, max_new_tokens=max_new_tokens, cache_dir=cache_dir, device_map=device_map
    )
    samples = sample_videos(cache_dir)

    def warp_and_answer(video, question, warps, num_frames):
        try:
            result = engine.run(video, question, warps, num_frames)
        except DemoInputError as exc:
            raise gr.Error(str(exc)) from None
        table = [
            [p["warp"]["name"], message_text(p["chosen"]), message_text(p["rejected"])] for p in result.pairs
        ]
        return result.strip, result.base_answer, result.timewarp_answer, result.report, table, result.pairs

    limits = (
        f"{', '.join(ALLOWED_EXTENSIONS)}; up to {MAX_UPLOAD_BYTES // 1024**2} MB and {MAX_DURATION_S:.0f} s."
    )
    with gr.Blocks(title="TimeWarp") as demo:
        gr.Markdown(
            "# TimeWarp: temporal preference pairs\n"
            "A model's answer on the true video is **chosen**; its answer on a **time-warped** copy is "
            "**rejected**; DPO on such pairs teaches a Video-LLM to read temporal order from the frames "
            "([paper](https://huggingface.co/papers/2510.03955))."
            + (
                "\n\n*Running tiny random stand-in models: the pipeline is real, the answers are gibberish. "
                "Launch with real model ids to see real answers.*"
                if tiny
                else ""
            )
        )
        with gr.Row():
            with gr.Column(scale=1):
                video = gr.Video(label="Video", sources=["upload"], elem_id="input-video")
                gr.Markdown(f"Accepted: {limits}")
                question = gr.Textbox(value=DEFAULT_QUESTION, label="Temporal question", elem_id="question")
                warps = gr.CheckboxGroup(
                    choices=list(DEMO_WARPS), value=list(DEFAULT_WARPS), label="Warps", elem_id="warps"
                )
                num_frames = gr.Slider(4, 16, value=8, step=1, label="Frames sampled", elem_id="num-frames")
                run = gr.Button("Warp and answer", variant="primary", elem_id="run")
                gr.Examples(examples=[[str(p)] for p in samples], inputs=[video], label="Sample videos")
            with gr.Column(scale=2):
                gr.Markdown(
                    "**The warps**: the sampled frames, then each warped order (source frame numbers underneath)"
                )
                strip = gr.Image(show_label=False, type="pil", format="png", elem_id="warp-strip")
                with gr.Row():
                    base_answer = gr.Textbox(
                        label=f"Base model ({scrub_local_paths(base_model)})", lines=4, elem_id="answer-base"
                    )
                    timewarp_answer = gr.Textbox(
                        label=f"TimeWarp model ({scrub_local_paths(timewarp_model)})",
                        lines=4,
                        elem_id="answer-timewarp",
                    )
                report = gr.Markdown(elem_id="pair-report")
                table = gr.Dataframe(
                    headers=["rejected from", "chosen (true order)", "rejected (warped)"],
                    label="Preference pairs the builder would make",
                    wrap=True,
                    elem_id="pairs-table",
                )
                with gr.Accordion("The pairs as dataset rows (without the video bytes)", open=False):
                    pairs = gr.JSON(elem_id="pairs")
        run.click(
            warp_and_answer,
            inputs=[video, question, warps, num_frames],
            outputs=[strip, base_answer, timewarp_answer, report, table, pairs],
            api_name="warp_and_answer",
        )
    return demo


@dataclass
class DemoArguments:
    """``timewarp demo``.

    Args:
        base_model: Path or Hub id of the base Video-LLM (with ``timewarp_model``; neither: tiny stand-ins).
        timewarp_model: Path or Hub id of the TimeWarp-trained model.
        host: Address to serve on.
        port: Port to serve on.
        max_new_tokens: Answer length.
        device_map: e.g. ``auto`` to place real models on the GPU.
        cache_dir: Where tiny models and sample videos are made (default: ``$HF_HOME/timewarp/demo``).
    """

    base_model: str | None = None
    timewarp_model: str | None = None
    host: str = "127.0.0.1"
    port: int = 7860
    max_new_tokens: int = 48
    device_map: str | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if (self.base_model is None) != (self.timewarp_model is None):
            raise ValueError("give both --base-model and --timewarp-model, or neither (tiny models)")


def run_demo(args: DemoArguments) -> int:
    """Build the app and serve it until interrupted."""
    demo = build_demo(
        args.base_model,
        args.timewarp_model,
        cache_dir=args.cache_dir,
        max_new_tokens=args.max_new_tokens,
        device_map=args.device_map,
    )
    demo.launch(server_name=args.host, server_port=args.port, **launch_options())
    return 0
