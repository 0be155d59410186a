"""The three TimeWarp recipes; each maps a chunk of prepared videos to draft preference pairs."""

from .base import Draft, PreparedVideo, RecipeContext
from .explicit import explicit_drafts
from .implicit import implicit_drafts
from .warped import warped_drafts

RECIPE_FUNCTIONS = {"explicit": explicit_drafts, "warped": warped_drafts, "implicit": implicit_drafts}

__all__ = ["RECIPE_FUNCTIONS", "Draft", "PreparedVideo", "RecipeContext"]
