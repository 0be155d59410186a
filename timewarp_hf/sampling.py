"""Training order that keeps related preference pairs in one batch.

TimeWarp's signal is a contrast of temporal content: the same question about a clip and about its time
reversal has opposite answers, and a video's pairs share everything but their order cue. In random
minibatches the "always give answer X" gradient of one batch is not cancelled by its twin, and on small
models it drowns the weak order signal (a tiny Qwen2-VL stayed at loss 0.693 for every learning rate and
beta tried; with a clip next to its reversal it learned). :class:`GroupedSampler` yields a dataset's rows
group by group, so rows sharing a key (a ``pair_id`` for a clip and its reversal, or a ``video_id`` for
one video's pairs) are consecutive and, up to the batch edges, in one batch.

Used by :class:`~timewarp_hf.trainer.TimeWarpDPOTrainer` when ``TimeWarpDPOConfig.group_batches_by``
names a column.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence

from torch.utils.data import Sampler

__all__ = ["GroupedSampler"]


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
