"""Offline testing kit, public like ``transformers.testing_utils``: synthetic videos, broken files and
tiny randomly initialised models, so tests and demos never need the network. Imported by their module path
(they are not re-exported here): :mod:`.mcq_outputs` (synthetic multiple-choice model outputs) and
:mod:`.lmms_eval_reference` (lmms-eval's own scoring of them), which check the metrics' reference mode."""

from .models import LM_FAMILIES, VLM_FAMILIES, make_tiny_lm, make_tiny_vlm
from .temporal_benchmark import QUESTION_TYPES, make_temporal_benchmark
from .videos import (
    CORRUPT_KINDS,
    DIRECTIONS,
    make_corrupt_video,
    make_sample_videos,
    make_synthetic_video,
    read_frame_counter,
)

__all__ = [
    "CORRUPT_KINDS",
    "DIRECTIONS",
    "LM_FAMILIES",
    "QUESTION_TYPES",
    "VLM_FAMILIES",
    "make_corrupt_video",
    "make_sample_videos",
    "make_synthetic_video",
    "make_temporal_benchmark",
    "make_tiny_lm",
    "make_tiny_vlm",
    "read_frame_counter",
]
