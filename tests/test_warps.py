import json
from collections import Counter

import pytest

from timewarp_hf.warps import WarpError, WarpResult, WarpSpec, apply_warp, available_warps, parse_warp_spec

INDICES = list(range(0, 64, 4))  # 16 frames, as sampled from a 64-frame clip
SCENES = [(0, 20), (20, 44), (44, 64)]
ALL = available_warps()


def test_registry_lists_every_documented_warp():
    assert set(ALL) == {
        "identity",
        "reverse",
        "scene_shuffle",
        "segment_swap",
        "local_shuffle",
        "frame_drop",
        "freeze",
        "speed",
    }


@pytest.mark.parametrize("name", ALL)
def test_deterministic_under_seed_and_json_round_trip(name):
    a = apply_warp(name, INDICES, seed=7, scenes=SCENES)
    b = apply_warp(name, INDICES, seed=7, scenes=SCENES)
    assert a == b
    assert WarpResult.from_dict(json.loads(a.to_json())) == a
    assert all(i in INDICES for i in a.indices)


@pytest.mark.parametrize("name", [n for n in ALL if n != "identity"])
def test_never_identity(name):
    for seed in range(200):
        assert apply_warp(name, INDICES, seed=seed, scenes=SCENES).indices != INDICES


@pytest.mark.parametrize("name", ["scene_shuffle", "segment_swap", "local_shuffle"])
def test_permutation_warps_keep_the_multiset(name):
    for seed in range(20):
        assert sorted(apply_warp(name, INDICES, seed=seed, scenes=SCENES).indices) == INDICES


def test_seeds_give_different_draws():
    draws = {tuple(apply_warp("local_shuffle", INDICES, seed=s).indices) for s in range(20)}
    assert len(draws) > 10


def test_identity_and_reverse():
    assert apply_warp("identity", INDICES).indices == INDICES
    assert apply_warp("reverse", INDICES).indices == INDICES[::-1]


def test_scene_shuffle_moves_whole_scenes():
    result = apply_warp("scene_shuffle", INDICES, seed=3, scenes=SCENES)
    assert sorted(result.scene_order) == [0, 1, 2] and result.scene_order != [0, 1, 2]
    groups = {s: [i for i in INDICES if SCENES[s][0] <= i < SCENES[s][1]] for s in range(3)}
    assert result.indices == [i for s in result.scene_order for i in groups[s]]


def test_segment_swap_swaps_two_contiguous_segments():
    result = apply_warp("segment_swap", INDICES, seed=1)  # default: two halves
    assert result.indices == INDICES[8:] + INDICES[:8]
    four = apply_warp("segment_swap:num_segments=4", INDICES, seed=5).indices
    segments = [four[k : k + 4] for k in range(0, 16, 4)]
    assert sorted(segments) == sorted(INDICES[k : k + 4] for k in range(0, 16, 4))
    assert sum(seg != INDICES[k * 4 : k * 4 + 4] for k, seg in enumerate(segments)) == 2


def test_local_shuffle_stays_inside_windows():
    out = apply_warp("local_shuffle", INDICES, seed=2, window=4).indices
    for start in range(0, 16, 4):
        assert sorted(out[start : start + 4]) == INDICES[start : start + 4]


def test_frame_drop_keeps_order_and_first_frame():
    out = apply_warp("frame_drop", INDICES, seed=0, fraction=0.25).indices
    assert len(out) == 12 and out[0] == INDICES[0] and out == sorted(out)


def test_freeze_holds_one_frame():
    out = apply_warp("freeze", INDICES, seed=4, length=3).indices
    assert len(out) == len(INDICES)
    counts = Counter(out)
    held = [i for i, c in counts.items() if c == 4]
    assert len(held) == 1 and len(set(out)) == len(INDICES) - 3


def test_speed_resamples():
    assert apply_warp("speed", INDICES, factor=2.0).indices == INDICES[::2]
    slow = apply_warp("speed", INDICES, factor=0.5).indices
    assert slow == [i for i in INDICES for _ in range(2)]


def test_spec_parsing():
    spec = parse_warp_spec("local_shuffle:window=4")
    assert spec == WarpSpec("local_shuffle", {"window": 4}) and str(spec) == "local_shuffle:window=4"
    assert parse_warp_spec({"name": "speed", "factor": 0.5}).params == {"factor": 0.5}
    assert apply_warp(spec, INDICES).params == {"window": 4}


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: parse_warp_spec("rewind"), "unknown warp 'rewind'; accepted: frame_drop"),
        (lambda: parse_warp_spec("speed:rate=2"), "no parameter rate; accepted: factor"),
        (lambda: parse_warp_spec("speed:2"), "expected key=value"),
        (lambda: apply_warp("scene_shuffle", INDICES), "needs scenes"),
        (lambda: apply_warp("scene_shuffle", INDICES, scenes=[(0, 64)]), "at least 2 scenes"),
        (lambda: apply_warp("segment_swap:num_segments=4", [0, 1]), "at least 4 frames"),
        (lambda: apply_warp("reverse", [5]), "at least 2 frames"),
        (lambda: apply_warp("speed", INDICES, factor=1.0), "not 1"),
        (lambda: apply_warp("frame_drop", INDICES, fraction=1.5), "fraction must be in (0, 1)"),
        (lambda: apply_warp("reverse", [3, 2, 1]), "strictly increasing"),
    ],
)
def test_clear_errors(call, message):
    with pytest.raises(WarpError) as info:
        call()
    assert message in str(info.value)


def test_two_frame_local_shuffle_is_a_swap():
    assert apply_warp("local_shuffle", [10, 20], seed=0).indices == [20, 10]
