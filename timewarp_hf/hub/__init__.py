"""Everything TimeWarp makes, on the Hub: dataset and model cards, and the push of dataset, model and Space.

One module per concern: :mod:`.privacy` (local paths scrubbed, leak scan), :mod:`.dataset_card` (card,
example picture, Parquet export), :mod:`.model_card` (card, ``model-index``), :mod:`.staging` (the model and
Space folders as they would go up), :mod:`.push` (stage, scan, upload) and :mod:`.common` (shared names,
the card templates installed with the package). The trainer and the demo import the one module they use.
"""

from .common import DATASET_TAGS, MODEL_TAGS, SPACE_CONFIG_FILE, TASK_CATEGORY, card_template
from .dataset_card import *  # noqa: F403
from .dataset_card import __all__ as _dataset_card
from .model_card import *  # noqa: F403
from .model_card import __all__ as _model_card
from .privacy import find_leaks, local_roots, scrub_local_paths
from .push import *  # noqa: F403
from .push import __all__ as _push
from .staging import *  # noqa: F403
from .staging import __all__ as _staging

__all__ = [
    "DATASET_TAGS",
    "MODEL_TAGS",
    "SPACE_CONFIG_FILE",
    "TASK_CATEGORY",
    "card_template",
    "find_leaks",
    "local_roots",
    "scrub_local_paths",
    *_dataset_card,
    *_model_card,
    *_push,
    *_staging,
]
