"""A missing optional extra is one line naming the pip install, from the library and from the CLI."""

import sys

import pytest

from timewarp_hf.cli import run
from timewarp_hf.demo import build_demo
from timewarp_hf.extras import MissingExtraError, import_extra


def test_missing_extra_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # as if the [demo] extra were not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'timewarp-hf\[demo\]'"):
        import_extra("gradio", "demo")
    with pytest.raises(MissingExtraError, match=r"timewarp-hf\[demo\]"):
        build_demo()
    assert import_extra("json", "core").dumps([1]) == "[1]"


def test_cli_reports_a_missing_extra_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "gradio", None)
    assert run(["demo", "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "timewarp demo: error: gradio is not installed; it comes with an extra: pip install 'timewarp-hf[demo]'"
    )
