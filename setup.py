"""Package discovery for setuptools (the metadata is in pyproject.toml).

pyproject's ``packages.find`` cannot add a package mapped from another folder, so the packages are listed
here: everything under ``timewarp_hf/``, plus the top-level ``hub_cards/`` folder installed as
``timewarp_hf.hub_cards`` (``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["timewarp_hf", "timewarp_hf.*"]),
        "timewarp_hf.hub_cards",
        "timewarp_hf.hub_cards.space",  # the Space's files: data, not an importable package
    ]
)
