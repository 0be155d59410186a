"""TimeWarp for the Hugging Face stack: synthetic temporal preference data for Video-LLMs, video DPO and
temporal metrics (arXiv 2510.03955).

Importing the package registers the ``"timewarp"`` dataset name with ``datasets.load_dataset``.
"""

from .registration import register as _register

_register()

__version__ = "0.1.0"


def __getattr__(name: str):
    # Heavy parts load on first use, so `import timewarp_hf` stays cheap.
    if name in ("TimeWarpBuilder", "TimewarpBuilder"):  # the second: the 0.1 name, deprecated
        from . import timewarp

        return getattr(timewarp, name)
    if name in ("TimeWarpConfig", "TimeWarpConfigError", "TimewarpConfig", "TimewarpConfigError"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'timewarp_hf' has no attribute {name!r}")
