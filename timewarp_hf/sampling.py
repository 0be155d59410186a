"""Training order: which rows share a batch, and in which order the run meets them.

Two samplers, each chosen by a :class:`~timewarp_hf.trainer.TimeWarpDPOConfig` option (they cannot be
combined: both decide the order).

**Grouped batches** (``group_batches_by``). TimeWarp's signal is a contrast of temporal content: the same
question about a clip and about its time reversal has opposite answers, and a video's pairs share
everything but their order cue. In random minibatches the "always give answer X" gradient of one batch is
not cancelled by its twin, and on small models it drowns the weak order signal (a tiny Qwen2-VL stayed at
loss 0.693 for every learning rate and beta tried; with a clip next to its reversal it learned).
:class:`GroupedSampler` yields a dataset's rows group by group, so rows sharing a key (a ``pair_id`` for a
clip and its reversal, or a ``video_id`` for one video's pairs) are consecutive and, up to the batch edges,
in one batch.

**An easy-to-hard curriculum inside one ``train()`` call** (``curriculum``). TEMPLE trains on strongly
perturbed videos first and subtler ones later, with one shell-scripted run and a LoRA merge per stage.
Here the stages are a sampler: every pair has a ``difficulty`` (``1 -`` its warp's magnitude,
:func:`timewarp_hf.warps.warp_difficulty`, written by the builder), the rows are cut into ``stages``
difficulty bins of about equal size (equal difficulties always share a bin), and
:class:`CurriculumSampler` yields them easy bins first:

* ``pacing="steps"``: every epoch walks the bins in order, each bin shuffled, so stage ``k`` covers the
  ``k``-th slice of the epoch's steps (one epoch, or ``max_steps`` within one epoch, is one full
  curriculum).
* ``pacing="epochs"``: epoch ``e`` draws from the bins ``0..e`` only ("baby steps"), each epoch still
  ``len(dataset)`` rows long (the pool's rows repeated, freshly shuffled, as often as needed), and from
  epoch ``stages - 1`` on from the whole dataset.

The order is a pure function of ``(seed, epoch)``, so resuming from a checkpoint at any step replays the
same order and the ``Trainer`` skips the batches already trained: the run resumes inside the same stage.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from torch.utils.data import Sampler

__all__ = ["CURRICULA", "CURRICULUM_PACINGS", "CurriculumSampler", "GroupedSampler", "curriculum_sampler"]

CURRICULA = ("none", "easy_to_hard")
CURRICULUM_PACINGS = ("steps", "epochs")


def _bins(difficulties: Sequence[float], stages: int) -> list[list[int]]:
    """Row indices per stage, easiest first: by rank, ties kept together, about ``n / stages`` each."""
    n = len(difficulties)
    order = sorted(range(n), key=lambda i: (difficulties[i], i))
    bins: list[list[int]] = [[] for _ in range(stages)]
    start = 0
    while start < n:
        end = start
        while end < n and difficulties[order[end]] == difficulties[order[start]]:
            end += 1
        bins[min(stages - 1, start * stages // n)].extend(order[start:end])
        start = end
    return [b for b in bins if b]


class CurriculumSampler(Sampler[int]):
    """Row indices, easy to hard; see the module docstring for the two pacings.

    Args:
        difficulties: one difficulty per row (lower is easier).
        stages: number of difficulty bins (stages of the curriculum).
        pacing: ``"steps"`` (each epoch goes easy to hard) or ``"epochs"`` (epoch ``e`` adds bin ``e``).
        seed: seeds the shuffles; epoch ``e`` uses ``seed + e`` (the trainer calls :meth:`set_epoch`).
    """

    def __init__(
        self, difficulties: Sequence[float], *, stages: int = 3, pacing: str = "steps", seed: int = 0
    ):
        if stages < 1:
            raise ValueError(f"stages must be >= 1, got {stages}")
        if pacing not in CURRICULUM_PACINGS:
            raise ValueError(f"pacing must be one of {CURRICULUM_PACINGS}, got {pacing!r}")
        values = [float(d) for d in difficulties]
        if any(math.isnan(v) for v in values):
            raise ValueError("difficulties must be numbers, got NaN")
        self.bins = _bins(values, stages)
        self.pacing, self.seed, self.epoch = pacing, seed, 0
        self._length = len(values)

    @property
    def stages(self) -> int:
        return len(self.bins)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[int]:
        rng = random.Random(self.seed + self.epoch)
        if self.pacing == "steps":
            for rows in self.bins:
                rows = rows[:]
                rng.shuffle(rows)
                yield from rows
            return
        pool = [i for rows in self.bins[: self.epoch + 1] for i in rows]
        emitted = 0
        while emitted < self._length:
            rows = pool[:]
            rng.shuffle(rows)
            yield from rows[: self._length - emitted]
            emitted += min(len(rows), self._length - emitted)


def curriculum_sampler(dataset: Any, args: Any) -> CurriculumSampler:
    """The sampler a ``TimeWarpDPOConfig`` (``curriculum_*`` fields, ``seed``) asks for, over ``dataset``.

    Raises ``ValueError`` naming the fix when the dataset has no usable difficulty column.
    """
    column = args.curriculum_column
    names = getattr(dataset, "column_names", None)
    if names is None or column not in names:
        raise ValueError(
            f"curriculum={args.curriculum!r} needs a datasets.Dataset with a {column!r} column (the TimeWarp "
            f"builder writes one); the training data has columns {names}. Add it, set curriculum_column, "
            "or set curriculum='none'"
        )
    values = dataset[column]
    missing = sum(v is None for v in values)
    if missing:
        raise ValueError(
            f"{missing} of {len(values)} rows have no {column!r} (pairs whose rejection reorders nothing, "
            "e.g. the implicit recipe's corruptions): fill them in or drop those rows, or set curriculum='none'"
        )
    return CurriculumSampler(
        values, stages=args.curriculum_stages, pacing=args.curriculum_pacing, seed=args.seed
    )


class GroupedSampler(Sampler[int]):
    """Row indices, epoch by epoch: the groups in a fresh seeded order, each group's rows together.

    Args:
        keys: One group key per row (rows with equal keys are kept together).
        sort_keys: Optional per-row values ordering the rows inside a group (the prompt text, so the same
            question about a clip and about its reversal sit side by side); row order otherwise.
        seed: Seeds the group order; epoch ``e`` uses ``seed + e`` (the trainer calls :meth:`set_epoch`).
    """

    def __init__(self, keys: Sequence[object], sort_keys: Sequence[str] | None = None, seed: int = 0):
        if sort_keys is not None and len(sort_keys) != len(keys):
            raise ValueError(f"sort_keys has {len(sort_keys)} values for {len(keys)} rows")
        groups: dict[str, list[int]] = defaultdict(list)
        rows = range(len(keys))
        for index in sorted(rows, key=lambda i: (sort_keys[i], i)) if sort_keys is not None else rows:
            groups[str(keys[index])].append(index)
        self._groups = [groups[key] for key in sorted(groups)]
        self._length = len(keys)
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[int]:
        order = list(range(len(self._groups)))
        random.Random(self.seed + self.epoch).shuffle(order)
        for g in order:
            yield from self._groups[g]
