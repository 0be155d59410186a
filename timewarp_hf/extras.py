"""Optional dependencies: what lives in an extra (``[demo]``: Gradio) is imported through
:func:`import_extra`, so a missing extra is one line that says what to install, not a traceback."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "import_extra"]


class MissingExtraError(ImportError):
    """A module of an optional extra is not installed; the message is the ``pip install`` to run."""


def import_extra(module: str, extra: str) -> ModuleType:
    """``import module``, or :class:`MissingExtraError` naming ``pip install 'timewarp-hf[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is not installed; it comes with an extra: pip install 'timewarp-hf[{extra}]'"
        ) from exc
