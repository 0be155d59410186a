"""The ``timewarp`` dataset builder: ``load_dataset("timewarp", base=..., recipe=..., captioner=...)``.

Thin on purpose (``datasets`` patches this module's globals for streaming): options live in
:class:`~timewarp_hf.config.TimeWarpConfig`, reading the base in :mod:`timewarp_hf.sources`, and the work in
:class:`~timewarp_hf.pipeline.PairPipeline`. The cache key is the config plus a fingerprint of the base
data, never the working directory: a relative ``base`` is made absolute, and the base's listing (or Hub
revision, or dataset fingerprint) is folded into the builder hash so new or changed videos rebuild.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from collections import Counter
from typing import Any

import datasets
from tqdm.auto import tqdm

from .config import TimeWarpConfig
from .constants import CITATION
from .pipeline import FEATURES, PairPipeline, summarize_counters
from .sources import BaseSource

__all__ = ["SUMMARY_FILE", "NoPairsError", "TimeWarpBuilder", "shard_slice"]

SUMMARY_FILE = "timewarp_summary.json"

logger = logging.getLogger(__name__)

_STATS_DIR = "timewarp_stats"


class NoPairsError(RuntimeError):
    """Every video was skipped or every pair filtered; the message carries the counts by reason."""


class TimeWarpBuilder(datasets.GeneratorBasedBuilder):
    """Preference pairs for TimeWarp DPO from any video dataset. See :class:`TimeWarpConfig` for options.

    ``base`` may also be a ``datasets.Dataset``/``IterableDataset`` object when the builder is made
    directly: ``TimeWarpBuilder(base=ds, captioner=...)``.
    """

    BUILDER_CONFIG_CLASS = TimeWarpConfig
    VERSION = datasets.Version("1.0.0")

    def __init__(self, *args: Any, base: Any = None, hash: str | None = None, **kwargs: Any):
        dataset_object = None
        if isinstance(base, (datasets.Dataset, datasets.IterableDataset)):
            dataset_object = base
            base = None
        elif isinstance(base, os.PathLike) or (
            isinstance(base, str) and os.path.exists(os.path.expanduser(base))
        ):
            base = os.path.abspath(os.path.expanduser(os.fspath(base)))
        source = None
        if dataset_object is not None or base is not None:
            source = BaseSource(
                dataset_object if dataset_object is not None else base,
                video_column=kwargs.get("video_column", "video"),
                split=kwargs.get("base_split", "train"),
                revision=kwargs.get("base_revision"),
                streaming=kwargs.get("streaming_base", False),
                max_videos=kwargs.get("max_videos"),
            )
            if dataset_object is not None:
                base = source.describe()
            hash = datasets.fingerprint.Hasher.hash([hash, source.fingerprint()])
        super().__init__(*args, base=base, hash=hash, **kwargs)
        self._source = source

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description="TimeWarp preference pairs (arXiv 2510.03955): chosen answers from the true video, "
            "rejected answers from a time-warped or corrupted view.",
            features=FEATURES,
            citation=CITATION,
        )

    def _split_generators(self, dl_manager):
        if self._source is None:
            raise ValueError("timewarp needs base=<folder of videos, Hub dataset id, or datasets.Dataset>")
        shards = self._source.shards()
        if not shards:
            raise ValueError(f"base {self._source.describe()} holds no videos")
        if self.config.num_shards > 1:  # this machine's contiguous slice (timewarp merge joins them)
            total = len(shards)
            shards = shards[shard_slice(total, self.config.num_shards, self.config.shard_index)]
            if not shards:
                raise ValueError(
                    f"shard {self.config.shard_index} of {self.config.num_shards} holds no videos: the base "
                    f"{self._source.describe()} has {total} pieces; use fewer shards"
                )
        # Counted by one shard only (the first), so that merged shards count each video once.
        self._unlisted = self._source.unlisted_videos() if self.config.shard_index == 0 else []
        unlisted = self._unlisted
        if unlisted:
            names = ", ".join(os.path.relpath(p, self._source.base) for p in unlisted[:5])
            logger.warning(
                "%d video(s) in %s are not in its metadata file and are left out, as datasets' videofolder "
                "does: %s%s (add them to the metadata to build from them)",
                len(unlisted),
                self._source.describe(),
                names,
                " ..." if len(unlisted) > 5 else "",
            )
        return [datasets.SplitGenerator(name=datasets.Split.TRAIN, gen_kwargs={"shards": shards})]

    def _generate_examples(self, shards: list[Any]):
        pipeline = PairPipeline(self.config, self._source.describe())
        examples = (
            ex
            for shard in tqdm(shards, desc="videos", unit="shard", leave=False)
            for ex in self._source.iter_shard(shard)
        )
        for key, record in enumerate(pipeline.run(examples)):
            yield f"{record['video_id']}-{key}", record
        self._write_partial_stats(pipeline.counters, shards)

    def _write_partial_stats(self, counters: Counter, shards: list[Any]) -> None:
        """Each worker (num_proc) leaves its counts; the main process merges them after the split."""
        folder = os.path.join(self._output_dir, _STATS_DIR)
        os.makedirs(folder, exist_ok=True)
        name = datasets.fingerprint.Hasher.hash(shards)
        with open(os.path.join(folder, f"{name}.json"), "w") as handle:
            json.dump(dict(counters), handle)

    def _download_and_prepare(self, dl_manager, verification_mode, **prepare_split_kwargs):
        super()._download_and_prepare(dl_manager, verification_mode, **prepare_split_kwargs)
        folder = os.path.join(self._output_dir, _STATS_DIR)
        counters: Counter = Counter()
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            with open(path) as handle:
                counters.update(json.load(handle))
            os.remove(path)
        if os.path.isdir(folder):
            os.rmdir(folder)
        summary = {
            "config": _config_summary(self.config),
            **summarize_counters(counters),
            "not_in_metadata": len(self._unlisted),
        }
        with open(os.path.join(self._output_dir, SUMMARY_FILE), "w") as handle:
            json.dump(summary, handle, indent=2)
        self.info.description = json.dumps(summary)
        if not summary["num_pairs"]:
            raise NoPairsError(
                "the build made no preference pairs: "
                + json.dumps({k: summary[k] for k in ("videos_seen", "skipped", "filtered", "warp_skipped")})
                + ". Check the skipped/filtered reasons (a model that cannot follow the prompt format makes "
                "'unparsable' pairs; identical answers on true and warped frames make 'identical' ones)."
            )


def shard_slice(count: int, num_shards: int, index: int) -> slice:
    """The contiguous slice of ``count`` pieces that shard ``index`` of ``num_shards`` builds (the rule of
    ``datasets.Dataset.shard(contiguous=True)``)."""
    if not 0 <= index < num_shards:
        raise ValueError(f"shard_index must lie in [0, {num_shards}), got {index}")
    size, extra = divmod(count, num_shards)
    start = index * size + min(index, extra)
    return slice(start, start + size + (index < extra))


def _config_summary(config: TimeWarpConfig) -> dict[str, Any]:
    keep = (
        "base",
        "recipe",
        "warps",
        "implicit_rejections",
        "captioner",
        "generator",
        "num_frames",
        "fps",
        "num_questions",
        "max_similarity",
        "seed",
        "num_shards",
        "shard_index",
    )
    summary = {
        k: (list(v) if isinstance(v, tuple) else v) for k in keep if (v := getattr(config, k)) is not None
    }
    if config.num_shards == 1:  # an unsharded build's summary stays as it was
        summary.pop("num_shards"), summary.pop("shard_index")
    return summary


def __getattr__(name: str):
    # The 0.1 name, kept for one release.
    if name == "TimewarpBuilder":
        import warnings

        warnings.warn(
            "timewarp_hf.timewarp.TimewarpBuilder is deprecated, use TimeWarpBuilder",
            FutureWarning,
            stacklevel=2,
        )
        return TimeWarpBuilder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
