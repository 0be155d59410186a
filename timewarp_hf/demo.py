"""The TimeWarp demo (the Hub Space and ``timewarp demo``): warp a video, compare two models, see the pair.

A user uploads a short video or picks a sample and asks a temporal question (optionally with answer
options: then each model also picks the option it finds most probable, as ``timewarp eval --scoring
likelihood`` scores multiple choice). The app shows the warps as frame strips, the answers of the base
model and of the TimeWarp-trained model side by side, and the preference pairs the ``timewarp`` builder would make from this video. The pairs come from the builder's own
:class:`~timewarp_hf.pipeline.PairPipeline` (warped recipe, quality filter included), not from a re-creation,
so the demo cannot drift from what a build does; the strips use the same per-video warp seed.

The work lives in :class:`TimeWarpDemo` (no Gradio), the page in :func:`build_demo`, so ``hub_cards/space/
app.py`` is three lines and tests drive the same code a visitor does. Without model ids it serves the
quickstart's pair (:func:`default_models`): a tiny Qwen2-VL fitted on the synthetic temporal benchmark's
train split and its TimeWarp-trained copy, made by the same builder and trainer a user runs, with clips of
the benchmark's test split as samples, so a visitor sees a before/after on questions whose answer is known.
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

from .config import TimeWarpConfig, TimeWarpConfigError
from .constants import timewarp_home
from .export import message_text
from .generation import CachedBackend, GenerationRequest, ResponseCache
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
    "default_models",
    "sample_videos",
    "space_models",
]

logger = logging.getLogger(__name__)

DEMO_WARPS = ("reverse", "scene_shuffle", "segment_swap", "local_shuffle", "frame_drop", "freeze", "speed")
DEFAULT_WARPS = ("reverse", "scene_shuffle", "local_shuffle")
DEFAULT_QUESTION = WARPED_QUESTIONS[1]
ALLOWED_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv", ".m4v")
# A Space shares one CPU or GPU between visitors: short clips only.
MAX_UPLOAD_BYTES = 20 * 1024**2
MAX_DURATION_S = 60.0
# Under the cache folder: the quickstart's base/TimeWarp pair, the demo's default models.
PAIR_FOLDER = "fitted-pair"


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
    base_choice: str = ""
    timewarp_choice: str = ""


def default_cache_dir() -> Path:
    """``$HF_HOME/timewarp/demo``: the default model pair and sample videos, made once and reused."""
    return timewarp_home() / "demo"


def default_models(cache_dir: str | os.PathLike | None = None, log: Any = logger.info) -> dict[str, Any]:
    """The models the demo serves when given none: the quickstart's base/TimeWarp pair in ``cache_dir``.

    ``timewarp quickstart`` installs its pair there; without one it is made here, the same way (fitting the
    tiny base on the synthetic train split, warped pairs, :class:`~timewarp_hf.trainer.TimeWarpDPOTrainer`;
    a few minutes on a CPU, once). Returns :func:`timewarp_hf.testing.fitted_pair.load_pair`'s record: the two model
    paths, their scores on the synthetic test split and the sample clips with their questions and answers.
    """
    from .testing.fitted_pair import fitted_pair

    folder = (Path(cache_dir) if cache_dir else default_cache_dir()) / PAIR_FOLDER
    return fitted_pair(folder, log=log)


def sample_videos(cache_dir: str | os.PathLike | None = None) -> list[Path]:
    """Synthetic sample clips for real models (three hard-cut scenes, a square moving in a known direction)."""
    from .testing import make_sample_videos

    folder = (Path(cache_dir) if cache_dir else default_cache_dir()) / "samples"
    existing = sorted(folder.glob("*.mp4"))
    return existing or make_sample_videos(folder, 3, num_frames=48)


def space_models(folder: str | os.PathLike | None = None) -> dict[str, str | None]:
    """The models a Space runs: ``TIMEWARP_BASE_MODEL``/``TIMEWARP_MODEL`` (Space variables), else the
    ``timewarp_demo.json`` that ``timewarp push space`` writes next to ``app.py``, else ``None`` (the quickstart's pair)."""
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
        self._backends: tuple[CachedBackend, Any] | None = None

    def backends(self) -> tuple[CachedBackend, Any]:
        """The base model (behind the response cache) and the TimeWarp model (``TransformersBackend``s),
        loaded once."""
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
        self,
        video: str | os.PathLike | None,
        question: str,
        warps: Sequence[str],
        num_frames: int = 8,
        options: Sequence[str] = (),
    ) -> DemoResult:
        """Warp ``video``, answer ``question`` with both models, and make the builder's pairs; with
        ``options``, each model also picks the one it finds most probable (summed log-probability after
        the question and the frames, :class:`~timewarp_hf.evaluation.likelihood.LikelihoodScorer`)."""
        options = [o.strip() for o in options if o and o.strip()]
        if len(options) == 1:
            raise DemoInputError("give at least two options, or none")
        check_upload(video)
        if not warps:
            raise DemoInputError("pick at least one warp")
        question = (question or "").strip() or DEFAULT_QUESTION
        try:
            config = TimeWarpConfig(
                recipe="warped",
                warps=tuple(warps),
                captioner=self.base_model,
                questions=(question,),
                num_frames=int(num_frames),
                max_new_tokens=self.max_new_tokens,
            )
        except TimeWarpConfigError as exc:
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
        choices = ["", ""]
        if options:
            from .evaluation.likelihood import LikelihoodScorer

            for k, backend in enumerate((base.backend, timewarp)):
                scorer = LikelihoodScorer(backend.model, backend.processor)
                scores = scorer.score(
                    video_messages(question), prepared.frames.data, prepared.presentation_fps, options
                )
                choices[k] = options[max(range(len(options)), key=lambda i: (scores[i], -i))]
        pairs = [
            {k: (json.loads(v) if k == "warp" else v) for k, v in r.items() if k != "video"} for r in records
        ]
        return DemoResult(
            strip=warp_strip(prepared.frames, results),
            base_answer=base_answer,
            timewarp_answer=timewarp_answer,
            pairs=pairs,
            report=_report(len(records), pipeline.counters, not_applicable),
            base_choice=choices[0],
            timewarp_choice=choices[1],
        )

    @staticmethod
    def _warps(prepared: PreparedVideo, config: TimeWarpConfig) -> tuple[list[WarpResult], dict[str, str]]:
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
    """The Gradio Blocks app. Without models, the quickstart's pair (:func:`default_models`, made in
    ``cache_dir`` once when missing) with its test clips as samples.

    Not launched here: ``demo.launch(**launch_options())`` in the Space, :func:`run_demo` locally, and
    tests launch it on a free port.
    """
    from .extras import import_extra
    from .hub.privacy import scrub_local_paths

    gr = import_extra("gradio", "demo")

    if (base_model is None) != (timewarp_model is None):
        raise ValueError("give both base_model and timewarp_model, or neither (the quickstart's pair)")
    pair = None
    if base_model is None:
        pair = default_models(cache_dir, log=lambda line: print(f"timewarp demo: {line}", flush=True))
        base_model, timewarp_model = pair["base_model"], pair["timewarp_model"]
    # The pair's answers are cached inside its folder, which a new pair replaces whole (same model paths).
    responses = Path(base_model).parent if pair is not None else cache_dir
    engine = TimeWarpDemo(
        base_model, timewarp_model, max_new_tokens=max_new_tokens, cache_dir=responses, device_map=device_map
    )
    if pair is not None:
        examples = [[s["video"], s["question"], "\n".join(s["options"])] for s in pair["samples"]]
        expected = {(Path(s["video"]).name, s["question"]): s["answer"] for s in pair["samples"]}
        default_question = pair["samples"][0]["question"]
    else:
        examples, expected = [[str(p)] for p in sample_videos(cache_dir)], {}
        default_question = DEFAULT_QUESTION

    def warp_and_answer(video, question, options, warps, num_frames):
        try:
            result = engine.run(video, question, warps, num_frames, (options or "").splitlines())
        except DemoInputError as exc:
            raise gr.Error(str(exc)) from None
        table = [
            [p["warp"]["name"], message_text(p["chosen"]), message_text(p["rejected"])] for p in result.pairs
        ]
        report = result.report
        answer = expected.get((Path(video).name, (question or "").strip()))
        if answer is not None:  # a sample clip asked its own question: say who is right
            report = f"{_verdict_line(answer, result)}\n\n{report}"
        return (
            result.strip,
            result.base_answer,
            result.timewarp_answer,
            result.base_choice,
            result.timewarp_choice,
            report,
            table,
            result.pairs,
        )

    limits = (
        f"{', '.join(ALLOWED_EXTENSIONS)}; up to {MAX_UPLOAD_BYTES // 1024**2} MB and {MAX_DURATION_S:.0f} s."
    )
    with gr.Blocks(title="TimeWarp") as demo:
        gr.Markdown(
            "# TimeWarp: temporal preference pairs\n"
            "A model's answer on the true video is **chosen**; its answer on a **time-warped** copy is "
            "**rejected**; DPO on such pairs teaches a Video-LLM to read temporal order from the frames "
            "([paper](https://huggingface.co/papers/2510.03955))."
            + (_pair_note(pair) if pair is not None else "")
        )
        with gr.Row():
            with gr.Column(scale=1):
                video = gr.Video(label="Video", sources=["upload"], elem_id="input-video")
                gr.Markdown(f"Accepted: {limits}")
                question = gr.Textbox(value=default_question, label="Temporal question", elem_id="question")
                options = gr.Textbox(
                    value="\n".join(pair["samples"][0]["options"]) if pair is not None else "",
                    label="Answer options (optional, one per line): each model also picks the likeliest",
                    lines=2,
                    elem_id="options",
                )
                warps = gr.CheckboxGroup(
                    choices=list(DEMO_WARPS), value=list(DEFAULT_WARPS), label="Warps", elem_id="warps"
                )
                num_frames = gr.Slider(4, 16, value=8, step=1, label="Frames sampled", elem_id="num-frames")
                run = gr.Button("Warp and answer", variant="primary", elem_id="run")
                gr.Examples(
                    examples=examples,
                    inputs=[video, question, options][: len(examples[0])],
                    label="Sample videos"
                    + (" (test clips, each with its question and options)" if pair else ""),
                    elem_id="samples",
                )
            with gr.Column(scale=2):
                gr.Markdown(
                    "**The warps**: the sampled frames, then each warped order (source frame numbers underneath)"
                )
                strip = gr.Image(show_label=False, type="pil", format="png", elem_id="warp-strip")
                with gr.Row():
                    names = (
                        ("the fitted tiny Qwen2-VL", "its TimeWarp-trained copy")
                        if pair is not None
                        else (scrub_local_paths(base_model), scrub_local_paths(timewarp_model))
                    )
                    with gr.Column():
                        base_answer = gr.Textbox(
                            label=f"Base model ({names[0]})", lines=2, elem_id="answer-base"
                        )
                        base_choice = gr.Textbox(label="Base model picks", elem_id="choice-base")
                    with gr.Column():
                        timewarp_answer = gr.Textbox(
                            label=f"TimeWarp model ({names[1]})", lines=2, elem_id="answer-timewarp"
                        )
                        timewarp_choice = gr.Textbox(label="TimeWarp model picks", elem_id="choice-timewarp")
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
            inputs=[video, question, options, warps, num_frames],
            outputs=[strip, base_answer, timewarp_answer, base_choice, timewarp_choice, report, table, pairs],
            api_name="warp_and_answer",
        )
    return demo


def _verdict_line(answer: str, result: DemoResult) -> str:
    """Who is right on a sample whose answer is known: by the options picked when there were options
    (how the pair is scored), else by the free-text answers."""
    picked = bool(result.base_choice)
    replies = (
        (result.base_choice, result.timewarp_choice)
        if picked
        else (result.base_answer, result.timewarp_answer)
    )
    verdicts = [
        f"{name} {'right' if reply.strip() == answer else 'wrong'}"
        for name, reply in zip(("base", "TimeWarp"), replies)
    ]
    by = "picking among the options" if picked else "in free text"
    return f"**True answer** for this sample: *{answer}* ({by}: {', '.join(verdicts)})."


def _pair_note(pair: dict[str, Any]) -> str:
    """The header line saying which default models run and how they scored (from the pair's record)."""
    from .testing.fitting import temporal_mean

    mean = {name: temporal_mean(pair[side]["accuracy"]) for name, side in (("b", "base"), ("t", "timewarp"))}
    return (
        "\n\n*Default models: the quickstart's pair, a tiny Qwen2-VL fitted on the synthetic temporal "
        "benchmark's train split (**base**) and its TimeWarp-trained copy (warped pairs, TimeWarp DPO). On "
        f"the benchmark's {pair['base']['questions']} test questions (likelihood scoring), order-dependent "
        f"types: base {mean['b']:.0%}, TimeWarp {mean['t']:.0%}. Pick a sample clip: its question and options "
        "come with it; each model writes an answer and picks the option it finds most probable (how those "
        "scores were measured). Launch with `--base-model`/`--timewarp-model` for real models.*"
    )


@dataclass
class DemoArguments:
    """``timewarp demo``.

    Args:
        base_model: Path or Hub id of the base Video-LLM (with ``timewarp_model``; neither: the
            quickstart's pair).
        timewarp_model: Path or Hub id of the TimeWarp-trained model.
        host: Address to serve on.
        port: Port to serve on.
        max_new_tokens: Answer length.
        device_map: e.g. ``auto`` to place real models on the GPU.
        cache_dir: Where the default model pair and sample videos are kept (default:
            ``$HF_HOME/timewarp/demo``).
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
            raise ValueError(
                "give both --base-model and --timewarp-model, or neither (the quickstart's pair)"
            )


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
