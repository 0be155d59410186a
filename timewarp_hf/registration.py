"""Makes ``load_dataset("timewarp", ...)`` resolve to :class:`~timewarp_hf.timewarp.TimeWarpBuilder`.

``datasets`` >= 4 has no loading scripts and no plugin hook, so we wrap ``dataset_module_factory`` (in
``datasets.load`` and the copy bound in ``datasets.inspect``) to answer the name ``"timewarp"`` with our
module. Unlike registering in ``_PACKAGED_DATASETS_MODULES``, this never globs the working directory, so
the cache key does not depend on where the user runs it. Every other name goes to the original factory.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import datasets.inspect
import datasets.load
from datasets.packaged_modules import _hash_python_lines

__all__ = ["BUILDER_MODULE", "DATASET_NAME", "build_modules", "module_hash", "register"]

DATASET_NAME = "timewarp"


# The builder's module: a build's output is decided by it and by every package module it imports.
BUILDER_MODULE = "timewarp_hf.timewarp"
_PACKAGE = BUILDER_MODULE.split(".")[0]


def build_modules(package_dir: str | os.PathLike | None = None) -> list[Path]:
    """The package's source files that decide a build's output: the builder module and every package
    module it imports, directly or not, at import time or inside a function (read from the sources, so a
    new module joins the list by being imported, not by being remembered), plus their packages'
    ``__init__.py``. ``package_dir`` defaults to the installed package."""
    root = Path(package_dir or Path(__file__).resolve().parent)

    def path_of(module: str) -> Path | None:
        parts = module.split(".")[1:]
        package_init = root.joinpath(*parts, "__init__.py")
        if package_init.is_file():
            return package_init
        file = root.joinpath(*parts).with_suffix(".py") if parts else None
        return file if file is not None and file.is_file() else None

    def imported(module: str, path: Path) -> Iterator[str]:
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module or ""
                yield target
                yield from (f"{target}.{alias.name}" for alias in node.names)  # submodules by name

    seen: dict[str, Path] = {}
    todo = [BUILDER_MODULE]
    while todo:
        module = todo.pop()
        if module in seen or not (module == _PACKAGE or module.startswith(_PACKAGE + ".")):
            continue
        path = path_of(module)
        if path is None:
            continue  # a name imported from a module, not a module
        seen[module] = path
        todo.append(module.rsplit(".", 1)[0])  # importing a module runs its package's __init__ first
        todo.extend(imported(module, path))
    return sorted(set(seen.values()))


def module_hash(package_dir: str | os.PathLike | None = None) -> str:
    """Hash of the code that decides a build's output (:func:`build_modules`), so a change to any of it
    gives a fresh cache and a change elsewhere (the trainer, the evaluation) keeps the built pairs."""
    root = Path(package_dir or Path(__file__).resolve().parent)
    lines = []
    for path in build_modules(root):
        lines.append(f"module {path.relative_to(root).as_posix()}")  # a moved module is a change too
        lines.extend(path.read_text(encoding="utf-8").splitlines())
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
