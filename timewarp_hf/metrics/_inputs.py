"""Input handling shared by the metric modules.

``evaluate`` requires every feature column on every call and reports a length mismatch only as an
Arrow error. The metrics here have columns that most callers can leave out (``categories``,
``options``), and id columns that users naturally pass as integers, so this mixin fills the left-out
columns, casts ids to strings and names the column whose length is wrong before ``evaluate`` sees
the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import datasets
import evaluate


def metric_info(
    description: str,
    citation: str,
    inputs_description: str,
    columns: Mapping[str, str],
    reference_urls: Sequence[str] = (),
) -> evaluate.MetricInfo:
    """The ``evaluate.MetricInfo`` of a metric here: its input ``columns`` are text (``"text"``) or
    lists of texts (``"texts"``, e.g. a question's options)."""
    kinds = {"text": datasets.Value("string"), "texts": datasets.List(datasets.Value("string"))}
    return evaluate.MetricInfo(
        description=description,
        citation=citation,
        inputs_description=inputs_description,
        features=datasets.Features({name: kinds[kind] for name, kind in columns.items()}),
        reference_urls=list(reference_urls),
    )


class InputColumnsMixin:
    """Mix into an ``evaluate.Metric`` ahead of it: ``class M(InputColumnsMixin, evaluate.Metric)``.

    Attributes:
        optional_columns: Column name -> the value a row gets when the caller leaves the column out.
        id_columns: Columns whose values are cast to ``str`` (ids given as integers).
    """

    optional_columns: ClassVar[dict[str, Any]] = {}
    id_columns: ClassVar[tuple[str, ...]] = ()

    def _prepare_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        predictions = batch.get("predictions")
        if predictions is None:
            raise ValueError("predictions are required")
        n = len(predictions)
        for name, default in self.optional_columns.items():
            if batch.get(name) is None:
                batch[name] = [list(default) if isinstance(default, list) else default for _ in range(n)]
        for name in self._feature_names():
            column = batch.get(name)
            if column is not None and len(column) != n:
                raise ValueError(f"{name} has {len(column)} entries but predictions has {n}")
        for name in self.id_columns:
            if batch.get(name) is not None:
                batch[name] = [None if value is None else str(value) for value in batch[name]]
        return batch

    def add_batch(self, *, predictions=None, references=None, **kwargs) -> None:
        """Add a batch of predictions and references (optional columns may be left out)."""
        batch = self._prepare_batch({"predictions": predictions, "references": references, **kwargs})
        super().add_batch(**batch)

    def add(self, *, prediction=None, reference=None, **kwargs) -> None:
        """Add one prediction and reference (optional columns may be left out)."""
        row = {"predictions": [prediction], "references": [reference]}
        row.update(
            {
                name: [value]
                for name, value in kwargs.items()
                if value is not None or name not in self.optional_columns
            }
        )
        row = {name: column[0] for name, column in self._prepare_batch(row).items()}
        super().add(prediction=row.pop("predictions"), reference=row.pop("references"), **row)

    def compute(self, *, predictions=None, references=None, **kwargs) -> dict[str, Any] | None:
        """Score the given predictions, or with none given, everything added with add/add_batch."""
        if predictions is None and references is None:
            # Everything was added with add/add_batch already: evaluate reads its cache.
            return super().compute(**kwargs)
        batch = self._prepare_batch({"predictions": predictions, "references": references, **kwargs})
        return super().compute(**batch)
