"""Temporal warps: pure, seeded functions over frame indices.

A warp never touches pixels. It takes the frame indices of a clip in true temporal order (usually the
frames sampled for the model) and returns the order in which a time-warped copy would show them. The
caller decodes the frames once and indexes the decoded tensor with every warp's output, so deriving
ten warps costs no extra decoding and no re-encoding.

Each call returns a :class:`WarpResult`, a JSON-serialisable record (name, parameters, seed, output
indices, scene order) that goes into the dataset's provenance column, so any rejected answer can be
traced back to exactly what the model saw.

A warp never returns the identity order unless asked for (``identity``): permutations are re-drawn until
they differ from the input, as the original code re-shuffles scenes. When a warp cannot change the
order of the given input (one scene, two frames for a four-segment swap, ...), it raises
:class:`WarpError` saying why, and the caller skips that video for that warp.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "WARPS",
    "WarpError",
    "WarpResult",
    "WarpSpec",
    "apply_warp",
    "available_warps",
    "parse_warp_spec",
    "warp_difficulty",
    "warp_magnitude",
    "warp_record",
]

# Permutation draws are retried this many times before giving up; the odds that a uniform shuffle of
# n >= 2 items is the identity are 1/n!, so this bound is only reached when no other order exists.
_MAX_REDRAWS = 100


class WarpError(ValueError):
    """A warp cannot be applied to this input (too few frames or scenes, bad parameter)."""


@dataclass(frozen=True)
class WarpResult:
    """What a warp did: enough to reproduce it and to explain the rejected answer it produced."""

    name: str
    params: dict[str, Any]
    seed: int
    indices: list[int]
    scene_order: list[int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> WarpResult:
        return cls(
            name=record["name"],
            params=dict(record.get("params") or {}),
            seed=int(record["seed"]),
            indices=[int(i) for i in record["indices"]],
            scene_order=None
            if record.get("scene_order") is None
            else [int(i) for i in record["scene_order"]],
        )


@dataclass(frozen=True)
class WarpSpec:
    """A warp name with parameters, as users write it in configs: ``"local_shuffle:window=3"``."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))


# A warp function maps (indices, scenes, rng, **params) -> (new indices, scene order or None).
WarpFn = Callable[..., tuple[list[int], "list[int] | None"]]


@dataclass(frozen=True)
class _Warp:
    fn: WarpFn
    defaults: dict[str, Any]
    needs_scenes: bool
    doc: str


WARPS: dict[str, _Warp] = {}


def _register(name: str, *, needs_scenes: bool = False, **defaults: Any) -> Callable[[WarpFn], WarpFn]:
    def decorator(fn: WarpFn) -> WarpFn:
        WARPS[name] = _Warp(
            fn=fn, defaults=defaults, needs_scenes=needs_scenes, doc=(fn.__doc__ or "").strip()
        )
        return fn

    return decorator


def available_warps() -> list[str]:
    """Names of all registered warps, sorted."""
    return sorted(WARPS)


def _shuffled_until_changed(items: list, rng: random.Random, what: str) -> list:
    if len(items) < 2:
        raise WarpError(f"cannot reorder {what}: need at least 2, got {len(items)}")
    for _ in range(_MAX_REDRAWS):
        out = items[:]
        rng.shuffle(out)
        if out != items:
            return out
    raise WarpError(f"cannot reorder {what}: every draw was the identity")


def _need_frames(indices: Sequence[int], n: int, warp: str) -> None:
    if len(indices) < n:
        raise WarpError(f"{warp} needs at least {n} frames, got {len(indices)}")


@_register("identity")
def identity(indices, scenes, rng):
    """The true order, for controls."""
    return list(indices), None


@_register("reverse")
def reverse(indices, scenes, rng):
    """Play the clip backwards."""
    _need_frames(indices, 2, "reverse")
    return list(reversed(indices)), None


@_register("scene_shuffle", needs_scenes=True)
def scene_shuffle(indices, scenes, rng):
    """Permute whole scenes (the paper's warp); frames inside a scene keep their order.

    Only scenes that hold at least one of the given frames take part; the returned scene order lists
    the original scene numbers in their new order.
    """
    groups: dict[int, list[int]] = {}
    for idx in indices:
        groups.setdefault(_scene_of(idx, scenes), []).append(idx)
    present = sorted(groups)
    if len(present) < 2:
        raise WarpError(f"scene_shuffle needs frames from at least 2 scenes, got {len(present)}")
    order = _shuffled_until_changed(present, rng, "scenes")
    return [i for s in order for i in groups[s]], order


@_register("segment_swap", num_segments=2)
def segment_swap(indices, scenes, rng, num_segments):
    """Cut the clip into equal contiguous segments and swap two of them."""
    num_segments = int(num_segments)
    if num_segments < 2:
        raise WarpError(f"segment_swap: num_segments must be >= 2, got {num_segments}")
    _need_frames(indices, num_segments, f"segment_swap with num_segments={num_segments}")
    n = len(indices)
    bounds = [round(k * n / num_segments) for k in range(num_segments + 1)]
    segments = [list(indices[bounds[k] : bounds[k + 1]]) for k in range(num_segments)]
    a, b = sorted(rng.sample(range(num_segments), 2))
    segments[a], segments[b] = segments[b], segments[a]
    return [i for seg in segments for i in seg], None


@_register("local_shuffle", window=3)
def local_shuffle(indices, scenes, rng, window):
    """Shuffle frames inside consecutive windows of ``window`` frames: the gist survives, the order does not."""
    window = int(window)
    if window < 2:
        raise WarpError(f"local_shuffle: window must be >= 2, got {window}")
    _need_frames(indices, 2, "local_shuffle")
    original = list(indices)
    for _ in range(_MAX_REDRAWS):
        out: list[int] = []
        for start in range(0, len(original), window):
            chunk = original[start : start + window]
            rng.shuffle(chunk)
            out.extend(chunk)
        if out != original:
            return out, None
    raise WarpError("local_shuffle: every draw was the identity")


@_register("frame_drop", fraction=0.5)
def frame_drop(indices, scenes, rng, fraction):
    """Drop a random ``fraction`` of the frames (at least one, never the first), so the clip jumps."""
    fraction = float(fraction)
    if not 0.0 < fraction < 1.0:
        raise WarpError(f"frame_drop: fraction must be in (0, 1), got {fraction}")
    _need_frames(indices, 3, "frame_drop")
    n = len(indices)
    num_drop = min(max(1, round(fraction * n)), n - 2)
    dropped = set(rng.sample(range(1, n), num_drop))
    return [idx for k, idx in enumerate(indices) if k not in dropped], None


@_register("freeze", length=3)
def freeze(indices, scenes, rng, length):
    """Hold one frame for ``length`` more frames in place of the frames that followed it (a stall)."""
    length = int(length)
    if length < 1:
        raise WarpError(f"freeze: length must be >= 1, got {length}")
    _need_frames(indices, length + 1, f"freeze with length={length}")
    n = len(indices)
    start = rng.randrange(0, n - length)
    out = list(indices)
    out[start + 1 : start + 1 + length] = [indices[start]] * length
    return out, None


@_register("speed", factor=2.0)
def speed(indices, scenes, rng, factor):
    """Resample the clip's timeline by ``factor``: 2.0 keeps every other frame (fast forward), 0.5 shows
    each frame twice (slow motion)."""
    factor = float(factor)
    if factor <= 0 or factor == 1.0:
        raise WarpError(f"speed: factor must be positive and not 1, got {factor}")
    _need_frames(indices, 2, "speed")
    n = len(indices)
    length = max(1, round(n / factor))
    return [indices[min(int(k * factor), n - 1)] for k in range(length)], None


def _scene_of(index: int, scenes: Sequence[tuple[int, int]]) -> int:
    for number, (start, end) in enumerate(scenes):
        if start <= index < end:
            return number
    raise WarpError(f"frame {index} lies in no scene {list(scenes)}")


def parse_warp_spec(spec: str | WarpSpec | dict[str, Any]) -> WarpSpec:
    """Read ``"name"`` / ``"name:key=value,key=value"`` / ``{"name": ..., **params}`` into a :class:`WarpSpec`.

    Unknown names and unknown parameters fail here, before any decoding, naming the accepted values.
    """
    if isinstance(spec, WarpSpec):
        name, params = spec.name, dict(spec.params)
    elif isinstance(spec, dict):
        params = dict(spec)
        name = params.pop("name", None)
    elif isinstance(spec, str):
        name, _, rest = spec.partition(":")
        params = {}
        for item in filter(None, (p.strip() for p in rest.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise WarpError(f"warp spec {spec!r}: expected key=value, got {item!r}")
            params[key.strip()] = _parse_value(value.strip())
    else:
        raise WarpError(f"warp spec must be a string, dict or WarpSpec, got {type(spec).__name__}")
    if name not in WARPS:
        raise WarpError(f"unknown warp {name!r}; accepted: {', '.join(available_warps())}")
    unknown = set(params) - set(WARPS[name].defaults)
    if unknown:
        accepted = ", ".join(sorted(WARPS[name].defaults)) or "none"
        raise WarpError(f"warp {name!r} has no parameter {', '.join(sorted(unknown))}; accepted: {accepted}")
    return WarpSpec(name=name, params=params)


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_warp(
    spec: str | WarpSpec | dict[str, Any],
    indices: Sequence[int],
    *,
    seed: int = 0,
    scenes: Sequence[tuple[int, int]] | None = None,
    **params: Any,
) -> WarpResult:
    """Apply a warp to ``indices`` (strictly increasing frame numbers, the clip in true order).

    Args:
        spec: warp name, ``"name:key=value"`` string, dict or :class:`WarpSpec`.
        indices: frame numbers in temporal order.
        seed: seeds the warp's random draws; the same inputs and seed give the same result everywhere.
        scenes: half-open ``(start_frame, end_frame)`` ranges, needed by scene warps.
        **params: override the spec's parameters.
    """
    spec = parse_warp_spec(spec)
    if params:
        spec = parse_warp_spec(WarpSpec(spec.name, {**spec.params, **params}))
    indices = [int(i) for i in indices]
    if any(b <= a for a, b in zip(indices, indices[1:])):
        raise WarpError("indices must be strictly increasing (the clip in its true order)")
    warp = WARPS[spec.name]
    if warp.needs_scenes and not scenes:
        raise WarpError(f"warp {spec.name!r} needs scenes; detect them or pass them from metadata")
    full_params = {**warp.defaults, **spec.params}
    rng = random.Random(f"{spec.name}:{seed}")
    out, scene_order = warp.fn(indices, list(scenes or []), rng, **full_params)
    return WarpResult(name=spec.name, params=full_params, seed=seed, indices=out, scene_order=scene_order)


def warp_record(value: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """A pair's ``warp`` column (the JSON of its :class:`WarpResult` record, as the builder writes it) as
    a dict: empty when the row has none or it cannot be read, so card summaries count it as unknown."""
    if isinstance(value, Mapping):
        return dict(value)
    try:
        record = json.loads(value) if value else {}
    except json.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def warp_magnitude(true_order: Sequence[int], warped_order: Sequence[int]) -> float:
    """How far a warped view is from the true clip, on one scale for every warp: 0 (unchanged) to 1.

    Three kinds of change, each in [0, 1], combined as ``1 - (1 - tau)(1 - lost)(1 - timing)`` so that any
    one of them alone can make a warp large and they add up without exceeding 1:

    * ``tau``: the normalised Kendall-tau distance of the shown order from the true one (the fraction of
      pairs of shown frames that appear in the wrong order; repeated frames are ties, never discordant).
      ``reverse`` is 1, a ``local_shuffle`` over small windows a few percent.
    * ``lost``: the fraction of the true frames that the view no longer shows (``frame_drop``, ``freeze``,
      fast ``speed``).
    * ``timing``: ``0.5 * |log2(len(view) / len(true))|`` capped at 1, the change of the clip's duration
      (a ``speed`` of 2 or 0.5 gives 0.5), which a pure order measure cannot see.

    Each warp's own parameter acts through these terms (a longer ``freeze`` loses more frames, a larger
    ``local_shuffle`` window makes more discordant pairs), so one number ranks pairs across warps.
    """
    truth = [int(i) for i in true_order]
    shown = [int(i) for i in warped_order]
    if len(truth) < 2 or not shown:
        return 0.0
    rank = {index: position for position, index in enumerate(truth)}
    positions = [rank.get(i, -1) for i in shown]
    n = len(positions)
    pairs = n * (n - 1) // 2
    discordant = sum(positions[a] > positions[b] for a in range(n) for b in range(a + 1, n))
    tau = discordant / pairs if pairs else 0.0
    lost = 1.0 - len(set(shown) & set(truth)) / len(truth)
    timing = min(1.0, 0.5 * abs(math.log2(len(shown) / len(truth))))
    return 1.0 - (1.0 - tau) * (1.0 - lost) * (1.0 - timing)


def warp_difficulty(true_order: Sequence[int], warped_order: Sequence[int]) -> float:
    """A pair's difficulty, ``1 - warp_magnitude``: 0 for the easiest pair (a reversed clip, whose
    rejected view is as far from the truth as it gets), near 1 for a barely changed view.

    A small warp makes a hard pair: the true and the warped clip look alike, so telling them apart (or the
    answers they lead to) takes a finer reading of time. An easy-to-hard curriculum
    (:class:`~timewarp_hf.sampling.CurriculumSampler`) trains on low difficulties first.
    """
    return 1.0 - warp_magnitude(true_order, warped_order)
