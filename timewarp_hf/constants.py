"""Names several modules share, kept in one small module that imports nothing of the package.

Each was written out in more than one place before; a module that needs one imports it from here, so two
copies can no longer drift apart and no import runs between sibling modules just to read a constant.
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import constants as hub_constants

__all__ = ["CITATION", "ORDER_DEPENDENT_TYPES", "READING_MODES", "timewarp_home"]

#: The TimeWarp paper (arXiv 2510.03955), cited by the builder, the cards and the metrics.
CITATION = """@article{vani2025timewarp,
  title   = {Harnessing Synthetic Preference Data for Enhancing Temporal Understanding of Video-LLMs},
  author  = {Sameep Vani and Shreyas Jena and Maitreya Patel and Chitta Baral and Somak Aditya and Yezhou Yang},
  journal = {arXiv preprint arXiv:2510.03955},
  year    = {2025}
}"""

#: The synthetic temporal benchmark's question types whose answer flips when the clip is reversed (the
#: ones TimeWarp should improve); its other types (``repetitions``, ``appearance``) do not depend on order.
ORDER_DEPENDENT_TYPES = ("direction", "event_order", "next_event", "playback", "speed_change")

#: How an answer is read: ``corrected`` (the package's rules) or ``reference`` (lmms-eval's, flaws included).
READING_MODES = ("corrected", "reference")


def timewarp_home() -> Path:
    """``$HF_HOME/timewarp``: where the package keeps its caches (responses, demo models), beside the
    Hub's own (``huggingface_hub`` resolves ``HF_HOME``, ``~/.cache/huggingface`` by default)."""
    return Path(hub_constants.HF_HOME) / "timewarp"
