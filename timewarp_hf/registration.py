"""Makes ``load_dataset("timewarp", ...)`` resolve to :class:`~timewarp_hf.timewarp.TimewarpBuilder`.

``datasets`` >= 4 has no loading scripts and no plugin hook, so we wrap ``dataset_module_factory`` (in
``datasets.load`` and the copy bound in ``datasets.inspect``) to answer the name ``"timewarp"`` with our
module. Unlike registering in ``_PACKAGED_DATASETS_MODULES``, this never globs the working directory, so
the cache key does not depend on where the user runs it. Every other name goes to the original factory.
"""

from __future__ import annotations

import functools
import inspect

import datasets.inspect
import datasets.load
from datasets.packaged_modules import _hash_python_lines

__all__ = ["DATASET_NAME", "module_hash", "register"]

DATASET_NAME = "timewarp"


def module_hash() -> str:
    """Hash of the code that decides a build's output, so a code change gives a fresh cache."""
    from . import config, parsing, pipeline, prompts, quality, recipes, sources, timewarp, video, warps
    from .recipes import explicit, implicit, warped

    modules = (
        timewarp,
        config,
        pipeline,
        sources,
        prompts,
        parsing,
        quality,
        video,
        warps,
        recipes,
        explicit,
        implicit,
        warped,
    )
    lines = [line for module in modules for line in inspect.getsource(module).splitlines()]
    return _hash_python_lines(lines)


def register() -> None:
    """Install the wrapper (idempotent)."""
    original = datasets.load.dataset_module_factory
    if getattr(original, "_timewarp_wrapped", False):
        return

    @functools.wraps(original)
    def dataset_module_factory(path, *args, **kwargs):
        if path == DATASET_NAME:
            # a fresh dict every call: load_dataset_builder pops keys from builder_kwargs
            return datasets.load.DatasetModule(
                module_path="timewarp_hf.timewarp",
                hash=_cached_hash(),
                builder_kwargs={"dataset_name": DATASET_NAME},
            )
        return original(path, *args, **kwargs)

    dataset_module_factory._timewarp_wrapped = True
    datasets.load.dataset_module_factory = dataset_module_factory
    datasets.inspect.dataset_module_factory = dataset_module_factory


@functools.lru_cache(maxsize=1)
def _cached_hash() -> str:
    return module_hash()
