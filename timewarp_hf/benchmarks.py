"""Deprecated name of :mod:`timewarp_hf.mcq_benchmark` (the TimeWarp MCQ benchmark), kept for one release:
"benchmark" alone also named the synthetic temporal benchmark and the speed benchmarks."""

import warnings

from .mcq_benchmark import *  # noqa: F403
from .mcq_benchmark import __all__  # noqa: F401

warnings.warn(
    "timewarp_hf.benchmarks is deprecated, use timewarp_hf.mcq_benchmark", FutureWarning, stacklevel=2
)
