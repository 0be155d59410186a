"""One module per benchmark, as lmms-eval keeps one ``tasks/<benchmark>/`` folder each.

Each module holds everything about its benchmark: the Hub schema and the adapter that reads it (with
the prompt lmms-eval shows), and ``RULES``, how its answers are read and counted (the lmms-eval port
for ``mode="reference"``, the options the shared corrected extractor reads). Adding a benchmark means
adding a module here and naming it below; :mod:`timewarp_hf.evaluation.adapters` and
:mod:`timewarp_hf.metrics.extraction` collect the adapters and rules from it.

Only :mod:`timewarp_hf.metrics.rules` and :mod:`.base` are imported at module level, so the metrics can
gather the rules without loading the evaluation runner.
"""

from __future__ import annotations

from . import (
    egoschema,
    longvideobench,
    motionbench,
    mvbench,
    nextqa,
    perceptiontest,
    tempcompass,
    temporalbench,
    timewarp,
    tomato,
    tvbench,
    videomme,
    vinoground,
    vitatecs,
)
from .base import BenchmarkAdapter, EvalExample, InvalidRow

__all__ = ["ADAPTER_CLASSES", "RULES", "BenchmarkAdapter", "EvalExample", "InvalidRow"]

#: Every benchmark's answer rules, in the order the metrics list them.
RULES = tuple(
    rule
    for module in (
        timewarp,
        tempcompass,
        mvbench,
        videomme,
        tvbench,
        tomato,
        perceptiontest,
        nextqa,
        egoschema,
        longvideobench,
        motionbench,
        temporalbench,
        vitatecs,
    )  # fmt: skip
    for rule in module.RULES
)

#: Every benchmark that ``timewarp eval`` can load, in the order the CLI lists them.
ADAPTER_CLASSES: tuple[type[BenchmarkAdapter], ...] = (
    tempcompass.TempCompassMultiChoice,
    tempcompass.TempCompassYesNo,
    tempcompass.TempCompassCaptionMatching,
    mvbench.MVBench,
    videomme.VideoMME,
    videomme.VideoMMENumberOption,
    tvbench.TVBench,
    vinoground.Vinoground,
    perceptiontest.PerceptionTest,
    nextqa.NExTQA,
    timewarp.TimeWarpMCQ,
    timewarp.SyntheticTemporal,
)
