"""Card templates and the Gradio Space of timewarp-hf.

This folder stays at the top of the repository for people who edit cards, and installs as the package
data ``timewarp_hf.hub_cards`` (``pyproject.toml`` maps it there), which :mod:`timewarp_hf.hub` reads through
:mod:`importlib.resources`.
"""
