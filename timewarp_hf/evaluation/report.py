"""The markdown table ``timewarp eval`` prints: one row per category, the whole benchmark, and the probe."""

from __future__ import annotations

from typing import Any

__all__ = ["format_scores"]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def format_scores(scores: dict[str, Any]) -> str:
    """A run's scores as a markdown table, one row per category and one for the whole benchmark."""
    skipped = ", ".join(f"{kind}: {n}" for kind, n in sorted(scores["failed_videos"].items()))
    lines = [
        f"{scores['benchmark']}: {scores['scored']} of {scores['questions']} questions scored "
        f"({scores['scoring']}, {scores['mode']} reading)"
        + (f"; videos that failed to decode: {skipped}" if skipped else "")
        + (
            f"; incomplete pairs left out: {scores['incomplete_pairs']}"
            if scores.get("incomplete_pairs")
            else ""
        )
        + (f"; invalid rows skipped: {scores['invalid_rows']}" if scores["invalid_rows"] else ""),
        "",
    ]
    metrics, counts = scores["metrics"], scores["category_counts"]
    if scores["metric"] == "vinoground":
        names = ("text_score", "video_score", "group_score")
        lines += ["| category | questions | text | video | group |", "|---|---:|---:|---:|---:|"]
        for category, values in scores["per_category"].items():
            cells = " | ".join(_percent(values[n]) for n in names)
            lines.append(f"| {category} | {counts.get(category, 0)} | {cells} |")
        cells = " | ".join(_percent(metrics.get(n)) for n in names)
        lines.append(f"| **all** | {scores['scored']} | {cells} |")
    else:
        lines += ["| category | questions | accuracy |", "|---|---:|---:|"]
        for category, value in scores["per_category"].items():
            lines.append(f"| {category} | {counts.get(category, 0)} | {_percent(value)} |")
        lines.append(f"| **all** | {scores['scored']} | {_percent(metrics.get('accuracy'))} |")
        if "group_accuracy" in metrics:
            lines.append(
                f"\npair accuracy (every question of a pair right): {_percent(metrics['group_accuracy'])}"
            )
    if "unparsed_rate" in metrics:
        lines.append(f"\nanswers nothing could be read from: {_percent(metrics['unparsed_rate'])}%")
    probe = scores.get("probe")
    if isinstance(probe, dict) and probe.get("questions"):
        lines += [
            "",
            f"temporal sensitivity ({probe['warp']} probe, {probe['questions']} questions):",
            "",
            "| category | accuracy | probed | drop | flip rate |",
            "|---|---:|---:|---:|---:|",
        ]
        for category, values in [*probe["per_category"].items(), ("**all**", probe)]:
            cells = " | ".join(
                _percent(values[k]) for k in ("accuracy", "probed_accuracy", "drop", "flip_rate")
            )
            lines.append(f"| {category} | {cells} |")
    for category, count in scores.get("missing_videos", {}).items():
        lines.append(
            f"\n{count} {category} video(s) missing: {scores['missing_video_hints'].get(category, '')}"
        )
    dataset = scores.get("dataset") or {}
    if dataset.get("rows"):
        lines.append(
            f"\ndataset: {dataset.get('id') or dataset.get('source')}, {dataset['rows']} rows"
            + (f", revision {dataset['revision']}" if dataset.get("revision") else ", revision unknown")
        )
    return "\n".join(lines)
