"""``timewarp compare BASE TUNED``: did training help? Side by side, per benchmark and category.

Each side is a ``scores.json`` written by :func:`~timewarp_hf.evaluation.run_eval`, or a folder searched
for them (``outputs/eval/<model>``, one per benchmark). The table is markdown, in percent, with the change;
the tuned side's headline numbers become the model card's evaluation results, in the
``{benchmark: {metric: value}}`` form that :func:`timewarp_hf.hub.eval_results_from_dict` turns into
``model-index`` entries (``timewarp push model --eval-results FILE`` reads the same file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CompareArguments", "compare_scores", "dataset_versions", "load_scores", "run_compare"]


@dataclass
class CompareArguments:
    """``timewarp compare``.

    Args:
        base: The base model's run: a ``scores.json`` of ``timewarp eval``, or a folder of them.
        tuned: The tuned model's run, in the same form.
        output: JSON file for the model card's eval results (``timewarp push model --eval-results``); the
            benchmark versions go beside it (``<output stem>.datasets.json``).
    """

    base: str = field(metadata={"positional": True})
    tuned: str = field(metadata={"positional": True})
    output: str | None = None


def load_scores(path: str | Path) -> dict[str, dict[str, Any]]:
    """``{benchmark: scores}`` from a ``scores.json`` or every one below a folder."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    files = sorted(path.rglob("scores.json")) if path.is_dir() else [path]
    if not files:
        raise ValueError(f"{path} holds no scores.json (run `timewarp eval` first)")
    found: dict[str, dict[str, Any]] = {}
    for file in files:
        try:
            scores = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{file} is not JSON: {exc}") from exc
        if not isinstance(scores, dict) or not {"benchmark", "metrics", "per_category"} <= set(scores):
            raise ValueError(
                f"{file} is not a `timewarp eval` scores file (no benchmark/metrics/per_category)"
            )
        if scores["benchmark"] in found:
            raise ValueError(f"{path} holds two scores files for {scores['benchmark']}; compare one run each")
        found[scores["benchmark"]] = scores
    return found


def _rows(scores: dict[str, Any]) -> dict[str, float | None]:
    """Headline metrics, then categories (Vinoground's three scores each), as ``label -> value``."""
    rows: dict[str, float | None] = {
        name: value
        for name, value in scores["metrics"].items()
        if isinstance(value, (int, float)) or value is None
    }
    for category, value in scores["per_category"].items():
        if isinstance(value, dict):
            rows.update({f"{category} ({name})": v for name, v in value.items()})
        else:
            rows[category] = value
    return rows


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def compare_scores(
    base: dict[str, dict[str, Any]], tuned: dict[str, dict[str, Any]]
) -> tuple[str, dict[str, dict[str, float]]]:
    """The markdown table (percent, change = tuned - base) and the tuned side's model-index results."""
    from ..hub import eval_results_from_dict

    lines = ["| benchmark | metric or category | base | tuned | change |", "|---|---|---:|---:|---:|"]
    notes = []
    for name in [*base, *(n for n in tuned if n not in base)]:
        before, after = base.get(name), tuned.get(name)
        if before and after and before["scoring"] != after["scoring"]:
            notes.append(f"{name}: scored by {before['scoring']} (base) and {after['scoring']} (tuned)")
        rows_before, rows_after = _rows(before) if before else {}, _rows(after) if after else {}
        for label in [*rows_before, *(r for r in rows_after if r not in rows_before)]:
            old, new = rows_before.get(label), rows_after.get(label)
            change = "–" if old is None or new is None else f"{100 * (new - old):+.1f}"
            lines.append(f"| {name} | {label} | {_cell(old)} | {_cell(new)} | {change} |")
    results: dict[str, dict[str, float]] = {}
    for scores in tuned.values():
        for benchmark, metrics in scores.get("model_index", {}).items():
            results.setdefault(benchmark, {}).update(metrics)
    if results:
        eval_results_from_dict(results)  # the card's check: fails here, not at push time
    table = "\n".join(lines)
    return table + "".join(f"\n\nnote: {note}" for note in notes), results


def dataset_versions(tuned: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{card benchmark: {id, config, split, revision, rows}}``: which version of each benchmark the tuned
    side's model-index numbers were scored on (``scores.json``'s ``model_index_datasets``)."""
    versions: dict[str, dict[str, Any]] = {}
    for scores in tuned.values():
        versions.update(scores.get("model_index_datasets") or {})
    return versions


def run_compare(base: str | Path, tuned: str | Path, output: str | Path | None = None) -> str:
    """Compare two runs (files or folders); write the tuned model's eval results to ``output`` if given,
    and the benchmark versions they were scored on next to it (``<output stem>.datasets.json``)."""
    tuned_scores = load_scores(tuned)
    table, results = compare_scores(load_scores(base), tuned_scores)
    if output is not None:
        if not results:
            raise ValueError(f"{tuned} has no scored benchmark to write as eval results")
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(results, indent=2) + "\n")
        table += f"\n\neval results for the model card written to {output}"
        versions = dataset_versions(tuned_scores)
        if versions:
            sidecar = Path(output).with_suffix(".datasets.json")
            sidecar.write_text(json.dumps(versions, indent=2) + "\n")
            table += f"; the benchmark versions they were scored on to {sidecar}"
    return table
