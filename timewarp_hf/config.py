"""``TimeWarpConfig``: every option of a TimeWarp build, validated before any video is decoded.

It is a ``datasets.BuilderConfig``, so ``load_dataset("timewarp", base=..., recipe=..., ...)`` keyword
arguments land here, and the values make the dataset's cache key. Fields are primitives (strings, numbers,
tuples) so that key stays readable and stable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import datasets

from .corrupt import CORRUPTIONS
from .prompts import DEFAULT_TEMPLATES
from .scenes import SCENE_DETECTORS
from .warps import WarpError, parse_warp_spec

__all__ = ["DEFAULT_MIN_WARP_CHANGE", "PAIR_TYPES", "RECIPES", "TimeWarpConfig", "TimeWarpConfigError"]

RECIPES = ("explicit", "warped", "implicit")
SCENE_SOURCES = ("auto", "metadata", "detect")
IMPLICIT_REJECTIONS = (*sorted(CORRUPTIONS), "hallucination")
PAIR_TYPES = ("answer_contrast", "video_contrast", "both")
# Mean absolute difference (0..1 of the pixel range) between the true and the warped frame sequences
# below which a warped view is a fake reject. Measured on the synthetic clips of timewarp_hf.testing
# (8 frames, H.264 crf 12): a static clip's warps score 0.0000; a square moving across 64x64 frames
# scores 0.020 (speed) to 0.107 (segment_swap), hard-cut scenes 0.07-0.40. Half a percent of the pixel
# range sits well below every real change seen there; raise it for noisy footage.
DEFAULT_MIN_WARP_CHANGE = 0.005


class TimeWarpConfigError(ValueError):
    """A build option is invalid; the message names the field, the value and the accepted values."""


def _fail(field: str, value: Any, fix: str) -> None:
    raise TimeWarpConfigError(f"TimeWarpConfig.{field}={value!r} is invalid: {fix}")


@dataclass
class TimeWarpConfig(datasets.BuilderConfig):
    """Options of a TimeWarp build.

    Base data:
        base: folder of videos, ``videofolder`` folder, Hub dataset id / dataset folder (or, through the
            builder, a ``datasets.Dataset``/``IterableDataset``).
        video_column, base_split, base_revision, streaming_base: how to read a dataset base.
        max_videos: stop after this many videos.
        num_shards, shard_index: build only slice ``shard_index`` of ``num_shards`` contiguous slices of
            the base (one per machine; ``timewarp merge`` joins them, see :mod:`timewarp_hf.shards`).
    Recipe:
        recipe: ``explicit`` (LLM QA from scene captions in true vs shuffled order; the paper's data),
            ``warped`` (a Video-LLM on true vs time-warped frames) or ``implicit`` (clean vs corrupted
            frames, or a hallucination-inducing prompt).
        warps: warp specs for ``warped`` (``"reverse"``, ``"local_shuffle:window=4"``, ...).
        implicit_rejections: kinds of rejected answer for ``implicit``, one drawn per video.
        num_questions, parse_retries: explicit QA per video, and retries of unparsable LLM output.
        questions: the warped recipe's question pool (default: :data:`~timewarp_hf.prompts.WARPED_QUESTIONS`).
        templates: overrides of :data:`~timewarp_hf.prompts.DEFAULT_TEMPLATES` by name.
    Models:
        captioner: the Video-LLM (path, Hub id, ``openai:<model>``); answers for warped/implicit, scene
            captions for explicit when metadata has none.
        generator: the text LLM writing explicit QA (default: ``captioner``).
        api_base, api_key_env, max_concurrency: for ``openai:`` backends (the key is read from the
            environment variable, never stored).
        generation_batch_size, max_new_tokens: batching and answer length.
        response_cache: SQLite file caching every response (default ``$HF_HOME/timewarp/responses.sqlite``).
    Frames and scenes:
        num_frames, fps, max_frames: frame sampling (uniform ``num_frames`` unless ``fps``).
        scene_source: ``metadata``, ``detect`` or ``auto`` (metadata when present, else detection).
        scene_detector: ``adaptive`` (default: PySceneDetect's AdaptiveDetector rule, which camera motion
            does not fool), ``content`` (its ContentDetector rule) or ``histogram`` (the old colour
            histogram detector); see :mod:`timewarp_hf.scenes`.
        max_scene_end, min_scenes: the original trimming rule for scene-based recipes (keep scenes that
            end by ``max_scene_end`` seconds; skip videos with fewer than ``min_scenes``).
    Quality:
        max_similarity: drop pairs whose chosen/rejected similarity exceeds this (0..1].
        judge: optional backend spec of an LLM that must confirm each pair differs in timing.
        seed: seeds warps, corruptions and prompt choice.
        videos_per_chunk: videos prepared together, so generation requests of several videos share a
            batch; each chunk's pairs are written before the next starts.
    Pair types and fake rejects (``warped`` recipe):
        pair_type: ``answer_contrast`` (the default: the answer on the true frames is preferred over the
            answer on the warped frames, both trained with the true video), ``video_contrast`` (the *same*
            answer, on the true frames, is preferred given the true video over given the warped view; the
            warped frame order is stored in ``rejected_frame_indices``) or ``both`` (each warp gives one
            pair of each type). Video-contrast pairs need no answer on the warped frames.
        min_warp_change: a warped view whose frames differ from the true sequence, position by position,
            by less than this mean absolute difference (0..1 of the pixel range) is a fake reject (a
            static clip reversed, a freeze on a still scene): it is skipped and counted as
            ``warp_skipped/no_change``. ``0`` keeps every view.
    """

    #: Fields that are not build options (``datasets.BuilderConfig``'s own; ``templates`` is a dict, set
    #: from Python): ``timewarp build`` makes no flag for them.
    cli_exclude: ClassVar[tuple[str, ...]] = (
        "name",
        "version",
        "data_dir",
        "data_files",
        "description",
        "templates",
    )

    base: str | None = None
    video_column: str = "video"
    base_split: str = "train"
    base_revision: str | None = None
    streaming_base: bool = False
    max_videos: int | None = None
    num_shards: int = 1
    shard_index: int = 0
    recipe: str = "warped"
    warps: tuple[str, ...] = ("reverse", "scene_shuffle", "segment_swap", "local_shuffle")
    implicit_rejections: tuple[str, ...] = IMPLICIT_REJECTIONS
    num_questions: int = 3
    parse_retries: int = 2
    questions: tuple[str, ...] | None = None
    templates: dict[str, str] | None = None
    captioner: str | None = None
    generator: str | None = None
    api_base: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = 4
    generation_batch_size: int = 8
    max_new_tokens: int = 256
    response_cache: str | None = None
    num_frames: int = 8
    fps: float | None = None
    max_frames: int | None = None
    scene_source: str = "auto"
    scene_detector: str = "adaptive"
    max_scene_end: float | None = 105.0
    min_scenes: int = 2
    max_similarity: float = 0.9
    judge: str | None = None
    seed: int = 0
    videos_per_chunk: int = 8
    # -- pair types and fake rejects: kept together, validated in _validate_pair_options
    pair_type: str = "answer_contrast"
    min_warp_change: float = DEFAULT_MIN_WARP_CHANGE

    def __post_init__(self):
        super().__post_init__()
        self.validate()

    def validate(self) -> None:
        """Check every field; called on creation, before any decoding or model loading."""
        if self.recipe not in RECIPES:
            _fail("recipe", self.recipe, f"accepted values: {', '.join(RECIPES)}")
        if isinstance(self.warps, str):
            self.warps = (self.warps,)
        self.warps = tuple(self.warps)
        if self.recipe == "warped" and not self.warps:
            _fail("warps", self.warps, "the warped recipe needs at least one warp")
        for spec in self.warps:
            try:
                parse_warp_spec(spec)
            except WarpError as exc:
                _fail("warps", spec, str(exc))
        if isinstance(self.implicit_rejections, str):
            self.implicit_rejections = (self.implicit_rejections,)
        self.implicit_rejections = tuple(self.implicit_rejections)
        for kind in self.implicit_rejections:
            if kind not in IMPLICIT_REJECTIONS:
                _fail("implicit_rejections", kind, f"accepted values: {', '.join(IMPLICIT_REJECTIONS)}")
        if self.recipe == "implicit" and not self.implicit_rejections:
            _fail("implicit_rejections", (), "the implicit recipe needs at least one kind")
        if self.captioner is None and (self.recipe != "explicit" or self.generator is None):
            need = (
                "a Video-LLM to answer on the frames" if self.recipe != "explicit" else "an LLM to write QA"
            )
            _fail(
                "captioner",
                None,
                f"the {self.recipe} recipe needs {need}: pass captioner=<model path, Hub id "
                "or openai:<model>>",
            )
        if "template" in (self.captioner, self.judge) or (
            self.generator == "template" and self.recipe != "explicit"
        ):
            _fail(
                "generator" if self.generator == "template" else "captioner",
                "template",
                "the rule-based template backend only writes the explicit recipe's QA: use "
                "recipe='explicit', generator='template'",
            )
        if self.scene_source not in SCENE_SOURCES:
            _fail("scene_source", self.scene_source, f"accepted values: {', '.join(SCENE_SOURCES)}")
        if self.scene_detector not in SCENE_DETECTORS:
            _fail("scene_detector", self.scene_detector, f"accepted values: {', '.join(SCENE_DETECTORS)}")
        if not isinstance(self.num_shards, int) or self.num_shards < 1:
            _fail("num_shards", self.num_shards, "use a positive integer (1: no sharding)")
        if not isinstance(self.shard_index, int) or not 0 <= self.shard_index < self.num_shards:
            _fail("shard_index", self.shard_index, f"use 0 .. num_shards - 1 ({self.num_shards - 1})")
        if not 0.0 < self.max_similarity <= 1.0:
            _fail("max_similarity", self.max_similarity, "use a similarity threshold in (0, 1], e.g. 0.9")
        for name in (
            "num_frames",
            "num_questions",
            "generation_batch_size",
            "max_new_tokens",
            "max_concurrency",
            "videos_per_chunk",
            "min_scenes",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                _fail(name, value, "use a positive integer")
        if self.num_frames < 2:
            _fail("num_frames", self.num_frames, "a clip needs at least 2 frames to have an order")
        if self.parse_retries < 0:
            _fail("parse_retries", self.parse_retries, "use 0 or more")
        if self.fps is not None and self.fps <= 0:
            _fail("fps", self.fps, "use a positive frame rate, or None for uniform num_frames sampling")
        if self.max_frames is not None and self.max_frames < 2:
            _fail("max_frames", self.max_frames, "use at least 2, or None")
        unknown = set(self.templates or {}) - set(DEFAULT_TEMPLATES)
        if unknown:
            _fail("templates", sorted(unknown), f"known templates: {', '.join(sorted(DEFAULT_TEMPLATES))}")
        if self.questions is not None:
            self.questions = tuple(self.questions)
            if not self.questions or not all(isinstance(q, str) and q.strip() for q in self.questions):
                _fail("questions", self.questions, "give a non-empty list of non-empty questions, or None")
        self._validate_pair_options()

    def _validate_pair_options(self) -> None:
        if self.pair_type not in PAIR_TYPES:
            _fail("pair_type", self.pair_type, f"accepted values: {', '.join(PAIR_TYPES)}")
        if self.pair_type != "answer_contrast" and self.recipe != "warped":
            _fail(
                "pair_type",
                self.pair_type,
                f"video-contrast pairs condition the rejected side on warped frames, which only the warped "
                f"recipe makes; use recipe='warped' or pair_type='answer_contrast' with recipe={self.recipe!r}",
            )
        if not isinstance(self.min_warp_change, (int, float)) or not 0.0 <= self.min_warp_change < 1.0:
            _fail(
                "min_warp_change",
                self.min_warp_change,
                f"use a mean frame difference in [0, 1), e.g. {DEFAULT_MIN_WARP_CHANGE} (0 keeps every view)",
            )

    def template(self, name: str) -> str:
        return (self.templates or {}).get(name, DEFAULT_TEMPLATES[name])


_DEPRECATED = {"TimewarpConfig": "TimeWarpConfig", "TimewarpConfigError": "TimeWarpConfigError"}


def __getattr__(name: str) -> Any:
    # The 0.1 names, kept for one release.
    if name in _DEPRECATED:
        warnings.warn(
            f"timewarp_hf.config.{name} is deprecated, use {_DEPRECATED[name]}", FutureWarning, stacklevel=2
        )
        return globals()[_DEPRECATED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
