"""The build cache key: derived from the package's own sources, so editing any module a build runs gives
a fresh cache, and editing code a build never runs keeps the built pairs."""

import shutil
from pathlib import Path

import pytest

import timewarp_hf
from timewarp_hf.registration import build_modules, module_hash

PACKAGE = Path(timewarp_hf.__file__).resolve().parent


def _relative(paths):
    return {p.relative_to(PACKAGE).as_posix() for p in paths}


def test_build_modules_follow_the_imports_of_the_builder():
    modules = _relative(build_modules())
    # the modules a hand-kept list once missed: per-pair seeds, corruptions, the rule-based generator
    assert {"recipes/base.py", "corrupt.py", "generation/template_backend.py"} <= modules
    assert {"timewarp.py", "config.py", "pipeline.py", "sources.py", "video.py", "warps.py"} <= modules
    assert {"recipes/explicit.py", "recipes/implicit.py", "recipes/warped.py", "prompts.py"} <= modules
    assert {"__init__.py", "recipes/__init__.py", "generation/__init__.py"} <= modules  # run on import
    # training, evaluation and the Hub side do not decide what a build writes
    assert not modules & {"trainer.py", "collator.py", "demo.py", "cli.py"}
    assert not any(m.startswith(("hub/", "evaluation/", "metrics/")) for m in modules)


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory):
    copy = tmp_path_factory.mktemp("src") / "timewarp_hf"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_editing_any_build_module_changes_the_key(package_copy):
    original = module_hash(package_copy)
    assert original == module_hash(PACKAGE)
    for path in build_modules(package_copy):
        text = path.read_text()
        path.write_text(text + "\n_edited = True\n")
        try:
            assert module_hash(package_copy) != original, f"editing {path.name} kept the cache key"
        finally:
            path.write_text(text)
    assert module_hash(package_copy) == original


def test_a_new_module_imported_by_a_build_module_joins_the_key(package_copy):
    original = module_hash(package_copy)
    warps = package_copy / "warps.py"
    text = warps.read_text()
    (package_copy / "extra_rule.py").write_text("RULE = 1\n")
    warps.write_text(text + "\n\ndef _uses_extra():\n    from .extra_rule import RULE\n\n    return RULE\n")
    try:
        assert package_copy / "extra_rule.py" in build_modules(package_copy)
        with_import = module_hash(package_copy)
        (package_copy / "extra_rule.py").write_text("RULE = 2\n")
        assert module_hash(package_copy) not in (original, with_import)
    finally:
        warps.write_text(text)
        (package_copy / "extra_rule.py").unlink()


def test_editing_code_a_build_never_runs_keeps_the_key(package_copy):
    original = module_hash(package_copy)
    trainer = package_copy / "trainer.py"
    text = trainer.read_text()
    trainer.write_text(text + "\n_edited = True\n")
    try:
        assert module_hash(package_copy) == original
    finally:
        trainer.write_text(text)
