"""Benchmark adapters: each temporal video benchmark's own rows, normalised into one evaluation schema.

Each benchmark's adapter lives with the rest of that benchmark (schema, prompt, answer rules) in its
module under :mod:`timewarp_hf.evaluation.benchmarks`; this module gathers them (:data:`ADAPTERS`),
resolves ``--benchmark``/``--data`` and loads examples, finding their videos.

Every benchmark publishes its questions in its own shape (MVBench: ``candidates`` and the answer as text;
Video-MME: ``options`` as ``"A. text"`` lines and a letter; NExT-QA: columns ``a0``..``a4`` and an index;
TempCompass: the options inside the question text ...) and keeps its videos outside the table, in archives
that lmms-eval unpacks under ``$HF_HOME/<folder>``. An adapter knows one benchmark's real Hub id, configs,
split and columns, the prompt lmms-eval 0.7.3 shows for it, and where its video files usually lie. It turns
a row into an :class:`EvalExample`: ``video, video_id, question, options, answer`` (an option letter, or
``yes``/``no``), ``category``, plus the benchmark's ``prompt`` and a stable ``id`` (resuming needs one).

:meth:`BenchmarkAdapter.normalize` is a pure function of one row, so each adapter is testable on a
hand-made row; :func:`load_examples` does the I/O: ``datasets.load_dataset(<Hub id or local folder>,
<config>, split=...)`` (a local copy of the Hub repo, or any folder whose README declares the same configs,
loads through the same call), then video paths are resolved under the video folder.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import constants as hub_constants

from .benchmarks import ADAPTER_CLASSES
from .benchmarks.base import LETTERS, YES_NO, BenchmarkAdapter, EvalExample, InvalidRow
from .benchmarks.mvbench import MVBENCH_VIDEO_FOLDERS, MVBench
from .benchmarks.nextqa import NEXTQA_TYPES, NExTQA
from .benchmarks.perceptiontest import PerceptionTest
from .benchmarks.tempcompass import TempCompassCaptionMatching, TempCompassMultiChoice, TempCompassYesNo
from .benchmarks.timewarp import SyntheticTemporal, TimeWarpMCQ
from .benchmarks.tvbench import TVBENCH_SUBSETS, TVBench
from .benchmarks.videomme import VideoMME, VideoMMENumberOption
from .benchmarks.vinoground import Vinoground

__all__ = [
    "ADAPTERS",
    "LETTERS",
    "MVBENCH_VIDEO_FOLDERS",
    "NEXTQA_TYPES",
    "TVBENCH_SUBSETS",
    "YES_NO",
    "BenchmarkAdapter",
    "EvalExample",
    "InvalidRow",
    "LoadedBenchmark",
    "MVBench",
    "NExTQA",
    "PerceptionTest",
    "SyntheticTemporal",
    "TVBench",
    "TempCompassCaptionMatching",
    "TempCompassMultiChoice",
    "TempCompassYesNo",
    "TimeWarpMCQ",
    "VideoMME",
    "VideoMMENumberOption",
    "Vinoground",
    "get_adapter",
    "load_examples",
    "resolve_benchmark",
]

logger = logging.getLogger(__name__)

ADAPTERS: dict[str, type[BenchmarkAdapter]] = {adapter.name: adapter for adapter in ADAPTER_CLASSES}


def get_adapter(name: str) -> type[BenchmarkAdapter]:
    """The adapter class of a benchmark name or Hub id, or a ValueError naming the accepted ones."""
    for adapter in ADAPTERS.values():
        if name in (adapter.name, adapter.hub_id):
            return adapter
    raise ValueError(
        f"Unknown benchmark {name!r}; accepted: {', '.join(ADAPTERS)} (or their Hub ids), or the folder of "
        f"a saved TimeWarp MCQ or synthetic temporal benchmark"
    )


def _detect_local(path: Path) -> str:
    """Which of our own benchmarks a local folder holds, from its columns."""
    if (path / "metadata.jsonl").is_file():
        with open(path / "metadata.jsonl") as handle:
            first = handle.readline()
        columns = set(json.loads(first)) if first.strip() else set()
    elif (path / "dataset_info.json").is_file():
        columns = set(json.loads((path / "dataset_info.json").read_text()).get("features", {}))
    elif (path / "dataset_dict.json").is_file():
        split = json.loads((path / "dataset_dict.json").read_text())["splits"][0]
        columns = set(json.loads((path / split / "dataset_info.json").read_text()).get("features", {}))
    else:
        columns = set()
    if "pair_id" in columns and "temporal" in columns:
        return SyntheticTemporal.name
    if {"question", "options", "answer"} <= columns:
        return TimeWarpMCQ.name
    raise ValueError(
        f"cannot tell which benchmark {path} holds (columns: {sorted(columns) or 'none found'}); for a local "
        f"copy of a real benchmark pass --benchmark NAME --data {path} (names: {', '.join(ADAPTERS)})"
    )


def resolve_benchmark(benchmark: str, data: str | None = None) -> tuple[type[BenchmarkAdapter], str]:
    """``(adapter class, source)`` for ``--benchmark NAME_OR_PATH [--data PATH_OR_ID]``.

    A name loads from ``data`` when given, else from the benchmark's real Hub id; an existing folder is one
    of our own benchmarks, recognised by its columns.
    """
    local = os.path.expanduser(benchmark)
    if os.path.isdir(local):
        if data is not None:
            raise ValueError("give the benchmark's folder either as --benchmark PATH or as --data, not both")
        return ADAPTERS[_detect_local(Path(local))], local
    adapter = get_adapter(benchmark)
    if data is None:
        if adapter.hub_id is None:
            raise ValueError(
                f"{adapter.name} has no Hub copy: pass the folder it was saved to (--benchmark PATH, or "
                f"--data PATH)"
            )
        return adapter, adapter.hub_id
    if data.startswith((".", "/", "~")) and not os.path.exists(os.path.expanduser(data)):
        raise ValueError(f"--data {data}: no such folder")
    return adapter, os.path.expanduser(data)


def default_video_root(adapter: type[BenchmarkAdapter], source: str) -> Path | None:
    """Where the videos are when no folder is given: next to a local copy, else where lmms-eval unpacks them
    (``$HF_HOME/<folder>``), so a machine that ran lmms-eval needs no download."""
    if adapter.lmms_eval_videos is None:
        return None
    if os.path.isdir(source):
        return Path(source)
    return Path(hub_constants.HF_HOME) / adapter.lmms_eval_videos


class _VideoFinder:
    """Finds a benchmark's video under one folder: at the paths the benchmark uses, else by file name
    below (an index built once, only when a file is not where expected). With a subtask ``folder``, a
    file found by name must lie in a folder of that name (``.../star/Charades_segment/x.mp4``): two
    subtasks may hold different clips under one file name."""

    def __init__(self, root: Path):
        self.root = root
        self._by_name: dict[str, list[str]] | None = None

    def find(self, candidates: Sequence[str], folder: str | None = None) -> str | None:
        for candidate in candidates:
            if (self.root / candidate).is_file():
                return str(self.root / candidate)
        if self._by_name is None:
            from ..video import find_videos

            self._by_name = {}
            for path in find_videos(self.root):
                self._by_name.setdefault(os.path.basename(path), []).append(path)
        # The subtask's folder, else its top-level folder (an archive unpacked one level flatter:
        # clevrer/video_10009.mp4 for clevrer/video_validation/video_10009.mp4), never another's.
        folder = folder.strip("/") if folder else ""
        insides = [f"/{folder}/", f"/{folder.split('/')[0]}/"] if folder else ["/"]
        for inside in insides:
            for candidate in candidates:
                for path in self._by_name.get(os.path.basename(candidate), []):
                    relative = "/" + Path(os.path.relpath(path, self.root)).as_posix()
                    if inside in relative:
                        return path
        return None

    def __call__(self, candidates: Sequence[str], folder: str | None = None) -> str:
        found = self.find(candidates, folder)
        return found if found is not None else str(self.root / candidates[0])  # missing: counted later


@dataclass
class LoadedBenchmark:
    """A benchmark's examples in order, with what loading them skipped."""

    adapter: BenchmarkAdapter
    source: str
    examples: list[EvalExample]
    invalid_rows: int
    video_root: Path | None
    #: Rows the source holds (before skipping invalid ones): benchmarks have several Hub revisions of
    #: different sizes (Video-MME: 2,700, 2,541, 2,544), so a score says how many it was out of.
    rows: int = 0
    #: Category -> how many of its videos are not in the video folder, and what to do about it.
    missing_videos: dict[str, int] = field(default_factory=dict)
    missing_video_hints: dict[str, str] = field(default_factory=dict)


def load_examples(
    adapter_class: type[BenchmarkAdapter],
    source: str,
    *,
    subsets: Sequence[str] | None = None,
    split: str | None = None,
    video_dir: str | os.PathLike | None = None,
) -> LoadedBenchmark:
    """Load and normalise a benchmark.

    Args:
        adapter_class: From :func:`resolve_benchmark` or :data:`ADAPTERS`.
        source: The real Hub id, or a local folder in the same layout (or a saved dataset of our own).
        subsets: Subtask configs to load (MVBench, TVBench); default all the source has.
        split: Overrides the benchmark's split.
        video_dir: The folder with the unpacked videos (default :func:`default_video_root`).

    Rows whose answer is not among their options are skipped and counted (``invalid_rows``); a source
    without the benchmark's columns, or with no valid row, raises ``ValueError``.
    """
    root = Path(video_dir) if video_dir is not None else default_video_root(adapter_class, source)
    if adapter_class.lmms_eval_videos is not None and (root is None or not root.is_dir()):
        raise ValueError(
            f"{adapter_class.name} keeps its videos outside the table and the video folder {root} does not "
            f"exist: download and unpack them (lmms-eval puts them in $HF_HOME/{adapter_class.lmms_eval_videos}"
            f"; e.g. `hf download {adapter_class.hub_id} --repo-type dataset"
            + (
                f" --revision {adapter_class.hub_kwargs['revision']}"
                if "revision" in adapter_class.hub_kwargs
                else ""
            )
            + " --local-dir DIR`, unzip) and pass --video-dir DIR"
        )
    adapter = adapter_class(root)
    chosen = _choose_subsets(adapter_class, source, subsets)
    finder = _VideoFinder(root) if root is not None else None
    examples, invalid, reasons, rows = [], 0, [], 0
    missing: Counter[str] = Counter()
    hints: dict[str, str] = {}
    for subset, row in adapter.rows(source, chosen, split or adapter_class.split):
        rows += 1
        try:
            example = adapter.normalize(row, subset)
        except InvalidRow as exc:
            invalid += 1
            reasons.append(str(exc))
            continue
        if finder is not None and isinstance(example.video, list):
            found = finder.find(example.video, adapter.video_folder(subset))
            if found is None:
                key = subset or example.category or adapter.name
                missing[key] += 1
                hints.setdefault(key, adapter.missing_video_hint(subset))
                found = str(finder.root / example.video[0])  # counted again when decoding fails
            example.video = found
        examples.append(example)
    for key, count in missing.items():
        logger.warning("%s: %d %s video(s) are not under %s: %s", adapter.name, count, key, root, hints[key])
    if invalid:
        logger.warning(
            "%s: skipped %d row(s) that cannot be scored, e.g. %s", adapter.name, invalid, reasons[0]
        )
    if not examples:
        raise ValueError(
            f"{source} has no scorable {adapter.name} question" + (f" ({reasons[0]})" if reasons else "")
        )
    seen: Counter[str] = Counter()
    for example in examples:  # identical questions on one video: keep both, with distinct ids
        seen[example.id] += 1
        if seen[example.id] > 1:
            example.id = f"{example.id}#{seen[example.id]}"
    return LoadedBenchmark(adapter, source, examples, invalid, root, rows, dict(missing), hints)


def _choose_subsets(
    adapter: type[BenchmarkAdapter], source: str, requested: Sequence[str] | None
) -> list[str | None]:
    if not adapter.subsets:
        if requested:
            raise ValueError(f"{adapter.name} has no subsets to choose (--subset is for MVBench and TVBench)")
        return [adapter.config]
    unknown = [s for s in requested or () if s not in adapter.subsets]
    if unknown:
        raise ValueError(
            f"unknown {adapter.name} subset(s) {unknown}; accepted: {', '.join(adapter.subsets)}"
        )
    if requested:
        return list(requested)
    import datasets

    kwargs = {} if os.path.exists(source) else dict(adapter.hub_kwargs)
    try:
        available = set(datasets.get_dataset_config_names(source, **kwargs))
    except (FileNotFoundError, ConnectionError) as exc:
        raise ValueError(
            f"could not list {adapter.name}'s configs at {source}: {exc} (offline? pass a local copy with --data)"
        ) from exc
    chosen = [s for s in adapter.subsets if s in available]
    if not chosen:
        raise ValueError(
            f"{source} has none of {adapter.name}'s subsets as configs (it has {sorted(available)}); "
            f"expected some of: {', '.join(adapter.subsets)}"
        )
    return chosen
