"""lmms-eval's own scoring, loaded by file path, to check ``timewarp_hf.metrics``' reference mode against.

lmms-eval is not a dependency of timewarp-hf; :class:`LmmsEval` loads its task ``utils.py`` modules and its
evaluator-level code from an unpacked wheel (``$LMMS_EVAL_SRC``) or an installed copy, found without
importing it::

    python -m pip download --no-deps -d /tmp/lmms lmms-eval
    python -m zipfile -e /tmp/lmms/lmms_eval-*.whl /tmp/lmms/src

How lmms-eval runs here: every response goes through lmms-eval's own evaluator-level code before the task's
``process_results``, as in ``lmms-eval eval``: the ``take_first`` filter ensemble (``api/filter.py``,
``filters/selection.py``), the evaluator's per-document scoring
(``evaluator.py::_process_document_results``) with the reasoning-tag stripping of ``api/reasoning.py``
under the CLI's default ``--reasoning_tags`` (read from ``__main__.py``), and the task wrapper
(``api/task.py::ConfigurableTask.process_results``, which strips the text). Those functions are taken from
lmms-eval's files verbatim (their source, cut out with ``ast``; decorators such as ``@retry`` left off),
since importing the modules that hold them pulls in torch and every model. Its task registry
(``lmms_eval/tasks/__init__.py``, which imports torch, transformers and every task) is not executed, only
the task's ``utils.py``; modules that are not installed and that the scoring code never calls (loguru,
cv2, decord, ``lmms_eval.utils``) get stand-ins; the GPT judge of TempCompass and ViTaTeCS returns rating
0, which is what lmms-eval scores without an API key (after 10 retries with 1-2 s sleeps, skipped here);
and the random letter NExT-QA, EgoSchema and LongVideoBench draw when nothing parses is replaced by no
answer, as in our reference mode.

:func:`lmms_eval_score` and :func:`lmms_eval_vinoground` score the rows of
:mod:`timewarp_hf.testing.mcq_outputs` this way. The agreement tests in ``tests/test_metrics.py`` and
``scripts/bench_metrics.py`` (scoring speed) use them; it is a testing aid, not a scorer.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import random
import sys
import tempfile
import textwrap
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

from .mcq_outputs import Row

__all__ = ["TASK_FILES", "LmmsEval", "lmms_eval_score", "lmms_eval_vinoground", "write_vinoground_answers"]

TASK_FILES = {
    "tempcompass_multi_choice": "tempcompass/utils.py",
    "tempcompass_yes_no": "tempcompass/utils.py",
    "tempcompass_caption_matching": "tempcompass/utils.py",
    "mvbench": "mvbench/utils.py",
    "videomme": "videomme/utils.py",
    "videomme_number_option": "videomme/number_option/utils.py",
    "tvbench": "tvbench/utils.py",
    "tomato": "tomato/utils.py",
    "perceptiontest": "perceptiontest/val/utils.py",
    "nextqa": "nextqa/utils.py",
    "egoschema": "egoschema/utils.py",
    "longvideobench": "longvideobench/utils.py",
    "motionbench": "motionbench/utils.py",
    "temporalbench": "temporalbench/utils.py",
    "vitatecs": "vitatecs/utils.py",
    "vinoground": "vinoground/utils.py",
}


def _stand_in(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


class _SilentLogger:
    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


class _NoRandomChoice:
    """Replaces a task module's ``random``: ``choice`` gives no answer instead of a random letter."""

    def __getattr__(self, name: str) -> Any:
        return getattr(random, name)

    @staticmethod
    def choice(seq: Any) -> str:
        return ""


# Decorators left off: registration in lmms-eval's registry, and retrying on an exception.
_DROPPED_DECORATORS = ("register_filter", "retry")


def _source_of(path: Path, qualified_name: str) -> str:
    """The verbatim source of a top-level function or class (``"Class.method"`` for a method) in
    ``path``, dedented, its decorators kept except :data:`_DROPPED_DECORATORS`."""
    text = path.read_text()
    body = ast.parse(text).body
    node = None
    for part in qualified_name.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.name == part
            ),
            None,
        )
        if node is None:
            raise LookupError(f"{qualified_name} is not in {path}: is this lmms-eval 0.7.3?")
        body = node.body
    lines = text.splitlines(keepends=True)
    dropped = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id in _DROPPED_DECORATORS:
            dropped.update(range(decorator.lineno, decorator.end_lineno + 1))
    first = min([d.lineno for d in node.decorator_list] + [node.lineno])
    kept = [lines[k - 1] for k in range(first, node.end_lineno + 1) if k not in dropped]
    return textwrap.dedent("".join(kept))


def _define(path: Path, qualified_name: str, namespace: dict[str, Any]) -> Any:
    """Execute lmms-eval's definition of ``qualified_name`` in ``namespace`` and return the object."""
    exec(compile(_source_of(path, qualified_name), f"{path}::{qualified_name}", "exec"), namespace)
    return namespace[qualified_name.split(".")[-1]]


def _cli_default(path: Path, flag: str) -> Any:
    """The ``default=`` of ``parser.add_argument(flag, ...)`` in lmms-eval's CLI module."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == flag
        ):
            for keyword in node.keywords:
                if keyword.arg == "default":
                    return ast.literal_eval(keyword.value)
    raise LookupError(f"{path} defines no {flag} default")


class LmmsEval:
    """lmms-eval's task ``utils.py`` modules, loaded by path from an unpacked or installed copy.

    Use as a context manager: while open, ``sys.modules`` holds the ``lmms_eval`` package objects (with
    their real ``__path__``, so ``lmms_eval.tasks._task_utils.*`` resolve to the real files, which
    Video-MME imports lazily at scoring time) and the stand-ins; ``HF_HOME`` points at a temporary
    folder holding the Vinoground answer files that its aggregation reads.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.modules: dict[str, types.ModuleType] = {}
        self._evaluator: dict[str, Any] = {}

    @staticmethod
    def locate(src: str | os.PathLike | None = None) -> Path | None:
        """The folder holding the ``lmms_eval`` package: ``src``, ``$LMMS_EVAL_SRC``, or an installed copy."""
        for candidate in (src, os.environ.get("LMMS_EVAL_SRC")):
            if candidate and (Path(candidate) / "lmms_eval" / "tasks").is_dir():
                return Path(candidate)
        spec = importlib.util.find_spec("lmms_eval")
        if spec and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations))).parent
        return None

    def __enter__(self) -> LmmsEval:
        self._saved_hf_home = os.environ.get("HF_HOME")
        self._home = tempfile.TemporaryDirectory()
        os.environ["HF_HOME"] = self._home.name
        package = self.root / "lmms_eval"
        stand_ins = {
            "lmms_eval": _stand_in("lmms_eval", __path__=[str(package)]),
            "lmms_eval.tasks": _stand_in("lmms_eval.tasks", __path__=[str(package / "tasks")]),
            "lmms_eval.tasks._task_utils": _stand_in(
                "lmms_eval.tasks._task_utils", __path__=[str(package / "tasks" / "_task_utils")]
            ),
            "lmms_eval.utils": _stand_in("lmms_eval.utils"),
        }
        stand_ins["lmms_eval"].utils = stand_ins["lmms_eval.utils"]
        for name, attributes in (
            ("loguru", {"logger": _SilentLogger()}),
            ("cv2", {}),
            ("decord", {"VideoReader": None, "cpu": None}),
        ):
            if importlib.util.find_spec(name) is None:
                stand_ins[name] = _stand_in(name, **attributes)
        self._replaced = {name: sys.modules.get(name) for name in stand_ins}
        sys.modules.update(stand_ins)
        return self

    def __exit__(self, *exc: object) -> None:
        # Drop the stand-ins and the lmms_eval.* modules the task code imported; keep everything else.
        for name in [n for n in sys.modules if n == "lmms_eval" or n.startswith("lmms_eval.")] + list(
            self._replaced
        ):
            sys.modules.pop(name, None)
        sys.modules.update({name: module for name, module in self._replaced.items() if module is not None})
        if self._saved_hf_home is None:
            os.environ.pop("HF_HOME", None)
        else:
            os.environ["HF_HOME"] = self._saved_hf_home
        self._home.cleanup()

    def _load_evaluator(self) -> dict[str, Any]:
        """lmms-eval's evaluator-level code for one generated response per document."""
        if not self._evaluator:
            package = self.root / "lmms_eval"
            spec = importlib.util.spec_from_file_location(
                "_lmms_eval_reasoning", package / "api" / "reasoning.py"
            )
            reasoning = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(reasoning)
            names: dict[str, Any] = {
                "dataclass": dataclass, "List": list, "Optional": Optional, "Filter": object,
                "Instance": object, "Dataset": object, "strip_reasoning_tags": reasoning.strip_reasoning_tags,
            }  # fmt: skip
            take_first = _define(package / "filters" / "selection.py", "TakeFirstFilter", names)
            ensemble = _define(package / "api" / "filter.py", "FilterEnsemble", names)
            _define(package / "evaluator.py", "_ProcessedDocument", names)
            process_document = _define(package / "evaluator.py", "_process_document_results", names)
            task_process = _define(package / "api" / "task.py", "ConfigurableTask.process_results", names)
            # None of these benchmarks' task YAMLs sets reasoning_tags, so the CLI's default applies.
            tags = reasoning.parse_reasoning_tags_config(
                cli_value=_cli_default(package / "__main__.py", "--reasoning_tags"), task_value=None
            )
            self._evaluator = {
                "filters": ensemble(name="none", filters=[take_first()]),
                "process_document": process_document,
                "task_process": task_process,
                "reasoning_tags": tags,
            }
        return self._evaluator

    def evaluate(self, process_results: Callable, doc: dict, response: str) -> dict[str, Any]:
        """What lmms-eval's evaluator records for ``doc`` when the model answered ``response``: the
        filter ensemble, the reasoning-tag stripping and the task wrapper, then the task's
        ``process_results``."""
        evaluator = self._load_evaluator()
        instance = SimpleNamespace(resps=[response], filtered_resps={}, raw_filtered_resps={}, doc=doc)
        evaluator["filters"].apply([instance], [doc])
        task = SimpleNamespace(
            OUTPUT_TYPE="generate_until", config=SimpleNamespace(process_results=process_results, repeats=1)
        )
        task.process_results = types.MethodType(evaluator["task_process"], task)
        processed = evaluator["process_document"](
            (0, doc, [instance]),
            task=task,
            filter_key="none",
            reasoning_tags=evaluator["reasoning_tags"],
            log_samples=False,
        )
        return processed.metrics

    @property
    def hf_home(self) -> Path:
        return Path(self._home.name)

    def task(self, benchmark: str) -> types.ModuleType:
        """The task's ``utils.py`` module, loaded once, judge and random fallbacks neutralised."""
        relative = TASK_FILES[benchmark]
        if relative not in self.modules:
            path = self.root / "lmms_eval" / "tasks" / relative
            name = "_lmms_eval_task_" + relative.replace("/", "_").removesuffix(".py")
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            with warnings.catch_warnings():  # lmms-eval's own invalid escape sequences ("\d" in MVBench)
                warnings.simplefilter("ignore", DeprecationWarning)
                spec.loader.exec_module(module)
            if hasattr(module, "get_eval_result"):
                module.get_eval_result = lambda prompt, *args, **kwargs: (None, 0)
            if hasattr(module, "random"):
                module.random = _NoRandomChoice()
            self.modules[relative] = module
        return self.modules[relative]


def _mean(values: list) -> float:
    return sum(values) / len(values) if values else 0.0


# Aggregate = f(lmms, task module, per-row results, per-row verdicts) -> score in [0, 1].
Aggregate = Callable[["LmmsEval", types.ModuleType, list, list], float]


def _rated(result: dict) -> bool:
    return result["rating"] == 1


def _scored(result: dict) -> bool:
    return result["score"] == 1


def _mean_verdict(lmms: LmmsEval, m: types.ModuleType, results: list, verdicts: list) -> float:
    return _mean(verdicts)


def _temporalbench_binary(lmms: LmmsEval, m: types.ModuleType, results: list, verdicts: list) -> float:
    binary, _ = m.temporalbench_aggregate_results(results)
    return binary / 100


# benchmark -> (the task's process_results function, the metric it returns, the per-row verdict read from
# that metric's value or None where lmms-eval scores in aggregate only, the aggregation).
_SCORING: dict[str, tuple[str, str, Callable[[Any], bool] | None, Aggregate]] = {
    **{
        f"tempcompass_{kind}": (
            f"tempcompass_process_results_{kind}",
            "avg_accuracy",
            _rated,
            lambda lmms, m, results, verdicts: m.tempcompass_aggregate_rating(results, None) / 100,
        )
        for kind in ("multi_choice", "yes_no", "caption_matching")
    },
    "mvbench": (
        "mvbench_process_results",
        "mvbench_accuracy",
        _scored,
        lambda lmms, m, results, verdicts: m.mvbench_aggregate_results(results) / 100,
    ),
    "videomme": (
        "videomme_process_results",
        "videomme_perception_score",
        _scored,
        lambda lmms, m, results, verdicts: m.videomme_aggregate_results(results) / 100,
    ),
    # number_option/utils.py has no videomme_aggregate_results, which its YAML names (so lmms-eval 0.7.3
    # cannot load the task as shipped): Video-MME's own aggregation is the one meant.
    "videomme_number_option": (
        "videomme_process_results_number",
        "videomme_perception_score",
        lambda r: r["pred_answer"] == r["answer"],
        lambda lmms, m, results, verdicts: lmms.task("videomme").videomme_aggregate_results(results) / 100,
    ),
    "tvbench": ("tvbench_process_results", "tvbench_acc", lambda value: value == 1, _mean_verdict),
    "tomato": (
        "tomato_process_results",
        "tomato_score",
        _scored,
        lambda lmms, m, results, verdicts: m.tomato_aggregate_results(results),
    ),
    "perceptiontest": (
        "perceptiontest_val_process_results_mc",
        "accuracy",
        lambda r: r["correct"] == 1,
        lambda lmms, m, results, verdicts: m.perceptiontest_val_aggregate_accuracy(results, None),
    ),
    "nextqa": ("nextqa_mc_process_results", "exact_match", bool, _mean_verdict),
    "egoschema": (
        "egoschema_process_results_generation",
        "score",
        lambda r: str(r["ground_truth"]) == str(r["pred"]),
        lambda lmms, m, results, verdicts: m.egoschema_aggregate_score(results, None),
    ),
    "longvideobench": (
        "longvideobench_process_results",
        "lvb_acc",
        lambda r: r["answer"] == r["parsed_pred"],
        lambda lmms, m, results, verdicts: m.longvideobench_aggregate_results(results),
    ),
    "motionbench": (
        "motionbench_process_results",
        "motionbench_acc",
        _scored,
        lambda lmms, m, results, verdicts: m.motionbench_aggregate_acc(results),
    ),
    # lmms-eval scores TemporalBench in its aggregation only: no per-row verdicts.
    "temporalbench": ("temporalbench_process_results", "temporalbench_score", None, _temporalbench_binary),
    "vitatecs": (
        "vitatecs_process_results",
        "accuracy",
        _rated,
        lambda lmms, m, results, verdicts: m.vitatecs_aggregate_rating(results, None) / 100,
    ),
}


def lmms_eval_score(lmms: LmmsEval, benchmark: str, rows: list[Row]) -> tuple[list[bool] | None, float]:
    """Score ``rows`` as ``lmms-eval eval`` does for ``benchmark``: its evaluator's response handling
    (:meth:`LmmsEval.evaluate`), the task's ``process_results`` and its aggregation. Returns the verdict
    per row (None where lmms-eval has none) and the score in [0, 1]."""
    if benchmark not in _SCORING:
        raise ValueError(benchmark)
    process, key, verdict, aggregate = _SCORING[benchmark]
    m = lmms.task(benchmark)
    results = [lmms.evaluate(getattr(m, process), row.doc, row.prediction)[key] for row in rows]
    verdicts = [verdict(r) for r in results] if verdict else None
    return verdicts, aggregate(lmms, m, results, verdicts or [])


def write_vinoground_answers(lmms: LmmsEval, rows: list[Row]) -> None:
    """The answer files lmms-eval's Vinoground aggregation reads from ``$HF_HOME/vinoground``."""
    for kind, folder in (("text", "vinoground_videos"), ("video", "vinoground_videos_concated")):
        path = lmms.hf_home / "vinoground" / folder
        path.mkdir(parents=True, exist_ok=True)
        answers = [
            {"idx": row.doc["index"].rsplit("_", 1)[0], "GT": row.reference}
            for row in rows
            if row.group == kind
        ]
        (path / f"vinoground_{kind}score.json").write_text(json.dumps(answers))


def lmms_eval_vinoground(lmms: LmmsEval, rows: list[Row]) -> tuple[float, float, float]:
    """lmms-eval's Vinoground (text, video, group) scores in [0, 1] (after :func:`write_vinoground_answers`)."""
    m = lmms.task("vinoground")
    results = [
        lmms.evaluate(m.vinoground_process_results, row.doc, row.prediction)["vinoground_score"]
        for row in rows
    ]
    return tuple(float(score) / 100 for score in m.vinoground_aggregate_results(results))
