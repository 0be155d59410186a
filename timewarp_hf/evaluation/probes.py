"""``timewarp eval --probe``: the same questions again on temporally warped frames.

A probe answers every question a second time on the clip's frames reversed, shuffled, frozen or reduced
to one frame (through :mod:`timewarp_hf.warps`, seeded by the question id so a re-run shows the same
frames), and scores the pairs of answers with the ``temporal_sensitivity`` metric: accuracy on true vs
probed frames, the drop and the flip rate. A model that reads time should lose accuracy when time is
scrambled; one that answers from language priors should not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .adapters import BenchmarkAdapter, EvalExample

if TYPE_CHECKING:
    from ..video import Frames

__all__ = ["PROBES", "Answerer", "complete_pairs", "probe_indices", "score_probe", "with_probe"]

#: ``--probe``: the same questions again on temporally warped frames (:mod:`timewarp_hf.warps`), to measure
#: how much the answers depend on time. ``shuffle`` is a full permutation (``local_shuffle`` over every
#: frame), ``freeze`` the package's stall (one frame held for 3 more), ``single_frame`` the first frame
#: held throughout (``freeze`` over the whole clip): no motion left at all.
PROBES = ("reverse", "shuffle", "freeze", "single_frame")

#: Answers a batch of questions on their clips: one record (``prediction``, ...) per question.
Answerer = Callable[[list[EvalExample], list["Frames"]], list[dict[str, Any]]]


def probe_indices(probe: str, indices: list[int], key: str) -> list[int]:
    """The frame order ``probe`` shows instead of ``indices`` (the clip in true order), drawn with a seed
    fixed by ``key`` (the question id), so a re-run shows the same probed frames."""
    import hashlib

    from ..warps import apply_warp

    seed = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    if probe == "reverse":
        return apply_warp("reverse", indices, seed=seed).indices
    if probe == "shuffle":
        return apply_warp("local_shuffle", indices, seed=seed, window=len(indices)).indices
    if probe == "freeze":
        return apply_warp("freeze", indices, seed=seed).indices
    if probe == "single_frame":
        return apply_warp("freeze", indices, seed=seed, length=len(indices) - 1).indices
    raise ValueError(f"Unknown probe {probe!r}; accepted: {', '.join(PROBES)}")


def _probed(clip: Frames, order: list[int]) -> Frames:
    """The clip's frames in ``order``, shown at the true clip's rate (its indices are kept for that)."""
    from dataclasses import replace

    return replace(clip, data=clip.take(order))


def with_probe(
    records: list[dict[str, Any]], readable: list[tuple[EvalExample, Frames]], probe: str, answer: Answerer
) -> list[dict[str, Any]]:
    """Answer the same questions on probed frames; each record gets ``probe_prediction`` (and, for
    likelihood scoring, ``probe_option_logprobs``) and the order shown, or ``probe_error``."""
    from ..warps import WarpError

    probed: list[tuple[dict[str, Any], EvalExample, Frames]] = []
    for record, (example, clip) in zip(records, readable):
        try:
            order = probe_indices(probe, list(clip.indices), example.id)
        except WarpError as exc:  # too few frames for this probe
            record["probe_error"] = str(exc)
            continue
        record["probe_indices"] = order
        probed.append((record, example, _probed(clip, order)))
    if probed:
        answers = answer([e for _, e, _ in probed], [c for _, _, c in probed])
        for (record, _, _), result in zip(probed, answers):
            record["probe_prediction"] = result["prediction"]
            if "option_logprobs" in result:
                record["probe_option_logprobs"] = result["option_logprobs"]
    return records


def complete_pairs(examples: list[EvalExample]) -> tuple[list[EvalExample], int]:
    """Vinoground scores pairs: keep those whose scored questions come two per type (positive, negative)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for example in examples:
        counts[example.group][example.question_type] += 1
    complete = {pair for pair, kinds in counts.items() if all(n == 2 for n in kinds.values())}
    return [e for e in examples if e.group in complete], len(counts) - len(complete)


def score_probe(
    metric: Any, adapter: BenchmarkAdapter, answered: list[tuple[EvalExample, dict]], probe: str
) -> dict[str, Any]:
    """``temporal_sensitivity`` of the answers read on true vs probed frames, under the same rule; writes
    ``probe_extracted``/``probe_correct`` into the records."""
    from ..metrics import load_metric

    pairs = [(e, r) for e, r in answered if "probe_prediction" in r and "extracted" in r]
    if adapter.metric == "vinoground":
        kept, _ = complete_pairs([e for e, _ in pairs])
        ids = {e.id for e in kept}
        pairs = [(e, r) for e, r in pairs if e.id in ids]
    result: dict[str, Any] = {"warp": probe, "questions": len(pairs)}
    if not pairs:
        return result
    columns: dict[str, list] = {
        "predictions": [r["probe_prediction"] for _, r in pairs],
        "references": [e.answer for e, _ in pairs],
        "options": [e.options for e, _ in pairs],
        "categories": [e.category for e, _ in pairs],
    }
    if adapter.metric == "vinoground":
        columns["pair_ids"] = [e.group for e, _ in pairs]
        columns["question_types"] = [e.question_type for e, _ in pairs]
    probed = metric.compute(**columns)["extracted"]
    for (example, record), answer in zip(pairs, probed):
        record.update(probe_extracted=answer, probe_correct=answer == example.answer)
    sensitivity = load_metric("temporal_sensitivity", keep_in_memory=True).compute(
        predictions=[r["extracted"] or "" for _, r in pairs],
        probed_predictions=[a or "" for a in probed],
        references=[e.answer for e, _ in pairs],
        categories=[e.category for e, _ in pairs],
    )
    return {**result, **sensitivity}
