"""The paper's claim in miniature, guarded in CI: ``scripts/reproduce_miniature.py --quick`` must show the
ranking TimeWarp predicts on the synthetic temporal benchmark, and the pieces it relies on behave."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from timewarp_hf.miniature import check_ranking, format_table, paired_order, summarize

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reproduce_miniature.py"
ORDER_TYPES = ("direction", "event_order", "next_event", "playback", "speed_change")


def test_paired_order_puts_each_question_beside_its_reversed_twin():
    video_ids = ["t-a-000-fwd", "t-a-000-fwd", "t-a-000-rev", "t-a-000-rev", "t-b-001-fwd", "t-b-001-rev"]
    questions = ["last?", "first?", "first?", "last?", "first?", "first?"]
    order = paired_order(video_ids, questions, rows_needed=18, seed=3)
    assert len(order) == 18 and sorted(order[:6]) == list(range(6))  # every row once per epoch
    for epoch in range(3):
        rows = order[6 * epoch : 6 * epoch + 6]
        pairs = [video_ids[i].rsplit("-", 1)[0] for i in rows]
        assert pairs in (["t-a-000"] * 4 + ["t-b-001"] * 2, ["t-b-001"] * 2 + ["t-a-000"] * 4)
        a_rows = [i for i in rows if video_ids[i].startswith("t-a")]
        assert [questions[i] for i in a_rows] == ["first?", "first?", "last?", "last?"]
        assert {video_ids[i] for i in a_rows[:2]} == {"t-a-000-fwd", "t-a-000-rev"}


def _run(arm: str, seed: int, temporal: float, appearance: float) -> dict:
    accuracy = {t: temporal for t in ORDER_TYPES} | {"repetitions": 1.0, "appearance": appearance}
    return {"arm": arm, "seed": seed, "accuracy": accuracy, "pair_accuracy": dict.fromkeys(ORDER_TYPES, 0.0)}


def test_the_ranking_check_names_every_comparison_that_fails():
    runs = []
    for seed, noise in enumerate((-0.02, 0.0, 0.02)):
        runs += [
            _run("base", seed, 0.55 + noise, 0.4),
            _run("order_blind", seed, 0.5 + noise, 0.4),
            _run("warped", seed, 0.7 + noise, 0.4 + noise),
            _run("explicit", seed, 0.56 + noise, 0.2),  # within the spread of base, and loses appearance
        ]
    summary = summarize(runs)
    assert summary["seeds"] == 3
    assert summary["table"]["warped"]["temporal"]["mean"] == pytest.approx(0.7)
    problems = check_ranking(summary)
    assert len(problems) == 2, problems
    assert problems[0].startswith("explicit is not above base on temporal questions")
    assert problems[1].startswith("explicit loses on appearance questions beyond the seed spread")
    summary["ranking"] = problems
    table = format_table(summary)
    assert "| TimeWarp-warped | 0.700 ± 0.020 |" in table and "does NOT hold" in table


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,  # only the ranking may fail: a crashed run fails through pytest.fail
    reason="measured 2026-11-25 (5 seeds, full run): TimeWarp-warped beats base on temporal questions "
    "(0.640 vs 0.541) but TimeWarp-explicit does not (0.453, and in the quick run it also drops on appearance); the "
    "ranking the method predicts does not hold in this miniature yet (issue 8 is blocked on it). The "
    "assertions stay as they are; strict=True makes CI fail as soon as the ranking starts to hold.",
)
def test_quick_reproduction_shows_the_ranking_timewarp_predicts(tmp_path):
    """On the order-dependent questions (mean over their five types) both TimeWarp arms beat the fitted
    base and the order-blind control by more than the seed-to-seed spread (the larger standard deviation
    of the two arms compared), and lose nothing on the appearance-only questions beyond that spread."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if not (tmp_path / "results.json").is_file():
        pytest.fail(f"the quick reproduction did not finish:\n{done.stderr[-3000:]}")
    summary = json.loads((tmp_path / "results.json").read_text())
    table = summary["table"]
    report = (tmp_path / "results.md").read_text()
    assert (tmp_path / "results.png").stat().st_size > 0
    assert summary["seeds"] == 3 and set(table) == {"base", "explicit", "warped", "order_blind"}
    for arm in ("explicit", "warped"):
        for rival in ("base", "order_blind"):
            mine, theirs = table[arm]["temporal"], table[rival]["temporal"]
            spread = max(mine["std"], theirs["std"])
            assert mine["mean"] - theirs["mean"] > spread, f"{arm} vs {rival} on temporal questions\n{report}"
        mine, base = table[arm]["appearance"], table["base"]["appearance"]
        spread = max(mine["std"], base["std"])
        assert mine["mean"] >= base["mean"] - spread, f"{arm} vs base on appearance questions\n{report}"
    assert done.returncode == 0, done.stdout[-3000:]
