"""Evaluate a Video-LLM on temporal video benchmarks: ``timewarp eval``, and the same as Python calls.

::

    from timewarp_hf.evaluation import EvalArguments, run_eval, run_compare

    base = run_eval(EvalArguments(model="Qwen/Qwen2.5-VL-3B-Instruct", benchmark="mvbench"))
    tuned = run_eval(EvalArguments(model="Qwen/Qwen2.5-VL-3B-Instruct", adapter="out/timewarp-dpo",
                                   benchmark="mvbench"))
    print(run_compare(base["output"], tuned["output"], output="eval_results.json"))

:mod:`~timewarp_hf.evaluation.benchmarks` holds one module per benchmark (its Hub schema, prompt and
answer rules), gathered and loaded by :mod:`~timewarp_hf.evaluation.adapters` into one evaluation schema; :mod:`~timewarp_hf.evaluation.runner` runs the model (generation, or option likelihood from
:mod:`~timewarp_hf.evaluation.likelihood`), resumes, and scores with :mod:`timewarp_hf.metrics`;
:mod:`~timewarp_hf.evaluation.compare` puts two runs side by side. Importing this package loads neither
torch nor transformers: they load when a model does.
"""

from .adapters import ADAPTERS, BenchmarkAdapter, EvalExample, get_adapter, load_examples, resolve_benchmark
from .compare import compare_scores, load_scores, run_compare
from .report import format_scores
from .runner import (
    PROBES,
    SCORINGS,
    EvalArguments,
    load_model,
    run_eval,
)

__all__ = [
    "ADAPTERS",
    "PROBES",
    "SCORINGS",
    "BenchmarkAdapter",
    "EvalArguments",
    "EvalExample",
    "compare_scores",
    "format_scores",
    "get_adapter",
    "load_examples",
    "load_model",
    "load_scores",
    "resolve_benchmark",
    "run_compare",
    "run_eval",
]
