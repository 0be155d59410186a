"""The package as a pip user gets it: the sdist and wheel carry every file the package reads at run time,
and the wheel, installed normally into an environment without the checkout, runs the main job from a
folder outside the checkout: samples -> build -> train -> saved adapter and card -> dry-run pushes of
dataset, model and Space -> the staged Space's app builds.

``scripts/test.sh`` builds both archives and installs the wheel (``scripts/install_wheel.sh``) and names them
in ``TIMEWARP_SDIST``, ``TIMEWARP_WHEEL`` and ``TIMEWARP_INSTALLED_PYTHON``. Run without them (a bare
``pytest``), these tests skip; in CI (``CI=true``) they fail instead, so the check cannot vanish.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INSTALLED_PYTHON = os.environ.get("TIMEWARP_INSTALLED_PYTHON")
WHEEL = os.environ.get("TIMEWARP_WHEEL")
SDIST = os.environ.get("TIMEWARP_SDIST")

if not (INSTALLED_PYTHON and WHEEL and SDIST):
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(
            "CI must test the installed package: run the suite through scripts/test.sh, which builds the "
            "sdist and wheel and installs the wheel (TIMEWARP_INSTALLED_PYTHON, TIMEWARP_WHEEL, TIMEWARP_SDIST)"
        )
    pytest.skip("no built and installed wheel: run through scripts/test.sh", allow_module_level=True)


def _package_files() -> set[str]:
    """Every file the installed package must hold, as its path inside the wheel."""
    files = set()
    for source, target in (
        (REPO / "timewarp_hf", "timewarp_hf"),
        (REPO / "hub_cards", "timewarp_hf/hub_cards"),
    ):
        for path in source.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.add(f"{target}/{path.relative_to(source).as_posix()}")
    return files


def test_wheel_carries_every_file_of_the_package():
    with zipfile.ZipFile(WHEEL) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "timewarp = timewarp_hf.cli:run" in wheel.read(entry_points).decode()
    expected = _package_files()
    assert {"timewarp_hf/hub_cards/model_card.md", "timewarp_hf/hub_cards/space/app.py"} <= expected
    assert sorted(expected - names) == []
    stray = {n for n in names if not n.startswith("timewarp_hf/") and ".dist-info/" not in n}
    assert sorted(stray) == []  # no tests, scripts or top-level hub_cards package


def test_sdist_carries_the_sources_the_wheel_is_built_from():
    with tarfile.open(SDIST) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "setup.py", "README.md"} <= names
    expected = {
        name.replace("timewarp_hf/hub_cards/", "hub_cards/", 1)
        if name.startswith("timewarp_hf/hub_cards/")
        else name
        for name in _package_files()
    }
    assert sorted(expected - names) == []


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """An empty folder outside the checkout, as a user's working directory."""
    folder = tmp_path_factory.mktemp("user")
    assert not folder.resolve().is_relative_to(REPO)
    return folder


def _user_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    bin_dir = str(Path(INSTALLED_PYTHON).parent)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        HF_HOME=str(home / "hf"),  # nothing cached from the suite: the user's own cache
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS="1",
    )
    return env


def _run(argv: list[str], cwd: Path, timeout: int = 420) -> str:
    done = subprocess.run(argv, cwd=cwd, env=_user_env(cwd), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_installed_package_is_the_wheel_not_the_checkout(outside):
    out = _run(
        [
            INSTALLED_PYTHON,
            "-c",
            "import timewarp_hf, importlib.resources as r; "
            "print(timewarp_hf.__file__); print(r.files('timewarp_hf.hub_cards'))",
        ],
        outside,
    )
    package, cards = (Path(line).resolve() for line in out.split())
    venv = Path(INSTALLED_PYTHON).parent.parent.resolve()
    for path in (package, cards):
        assert path.is_relative_to(venv)
        assert not path.is_relative_to(REPO / "timewarp_hf") and not path.is_relative_to(REPO / "hub_cards")


@pytest.fixture(scope="module")
def main_job(outside) -> Path:
    """`timewarp quickstart` of the installed wheel, run from a folder outside the checkout."""
    timewarp = str(Path(INSTALLED_PYTHON).parent / "timewarp")
    stdout = _run(
        [timewarp, "quickstart", "job", "--videos", "2", "--train-steps", "2", "--no-gain"], outside
    )
    assert ">> done in" in stdout
    return outside / "job"


def test_main_job_saves_the_adapter_with_its_card(main_job):
    adapter = main_job / "dpo"
    assert (adapter / "adapter_model.safetensors").is_file() and (adapter / "adapter_config.json").is_file()
    card = (adapter / "README.md").read_text()
    assert "timewarp" in card and "### TimeWarp data and recipe" in card
    assert "<!-- timewarp-hf:begin -->" in card  # the sections from the installed model-card template


def test_main_job_stages_dataset_model_and_space(main_job):
    hub = main_job / "hub"
    dataset_card = (hub / "dataset" / "README.md").read_text()
    assert "TimeWarp preference pairs" in dataset_card and list((hub / "dataset" / "data").glob("*.parquet"))
    assert "model-index" in (hub / "model" / "README.md").read_text()
    assert (hub / "model" / "adapter_model.safetensors").is_file()
    space = hub / "space"
    for name in ("app.py", "requirements.txt", "packages.txt", "README.md", "timewarp_hf/demo.py"):
        assert (space / name).is_file(), name
    assert (space / "timewarp_hf" / "hub_cards" / "model_card.md").is_file()
    summary = json.loads((main_job / "pairs-explicit" / "timewarp_summary.json").read_text())
    assert summary["num_pairs"] > 0 and summary["not_in_metadata"] == 0


def test_staged_space_app_builds(main_job):
    """The Space's app.py, run as the Space runs it: from its folder, with its copy of the package."""
    space = main_job / "hub" / "space"
    out = _run(
        [
            INSTALLED_PYTHON,
            "-c",
            "import runpy, timewarp_hf; ns = runpy.run_path('app.py'); "
            "print(type(ns['demo']).__name__); print(timewarp_hf.__file__)",
        ],
        space,
    )
    kind, package = out.split()[-2:]
    assert kind == "Blocks" and Path(package).resolve().is_relative_to(space.resolve())
