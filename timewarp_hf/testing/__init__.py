"""Offline testing kit, public like ``transformers.testing_utils``: synthetic videos, broken files and
tiny randomly initialised models, so tests and demos never need the network."""

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
    "make_corrupt_video",
    "make_sample_videos",
    "make_synthetic_video",
    "read_frame_counter",
]
