"""The parser every `timewarp` subcommand is built with: dataclass fields -> flags, help from the docs."""

from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from timewarp_hf.cli_parser import TimeWarpArgumentParser, field_docs


@dataclass
class _Options:
    """Options of a made-up command.

    Section:
        source: Where the clips are, in ``videofolder`` layout (see
            :mod:`timewarp_hf.sources`).
        width, height: The frame size.
    Args:
        tags: Words to keep.
        hidden: Set from Python only.
    """

    cli_exclude: ClassVar[tuple[str, ...]] = ("hidden",)

    source: str = field(metadata={"positional": True})
    width: int = 64
    height: int = 48
    tags: tuple[str, ...] = ("a", "b")
    maybe: tuple[str, ...] | None = None
    hidden: dict | None = None
    fast: bool = True


def test_field_docs_read_every_item_form():
    docs = field_docs(_Options)
    assert docs["source"] == "Where the clips are, in videofolder layout (see timewarp_hf.sources)."
    assert docs["width"] == docs["height"] == "The frame size."
    assert docs["tags"] == "Words to keep." and "maybe" not in docs


def test_positionals_tuples_booleans_and_excluded_fields():
    parser = TimeWarpArgumentParser(_Options)
    (options,) = parser.parse_args_and_config(["clips", "--tags", "x", "y", "z", "--no-fast", "--width", "8"])
    assert options == _Options(source="clips", width=8, tags=["x", "y", "z"], fast=False)
    (options,) = parser.parse_args_and_config(["clips"])
    assert (options.tags, options.maybe, options.hidden) == (["a", "b"], None, None)
    help_text = parser.format_help()
    assert "The frame size." in help_text and "--hidden" not in help_text
    assert _Options.__dataclass_fields__["tags"].default == ("a", "b")  # the dataclass itself is untouched


def test_unknown_flags_and_config_keys_are_usage_errors(tmp_path, capsys):
    parser = TimeWarpArgumentParser(_Options, prog="timewarp x")
    with pytest.raises(SystemExit) as raised:
        parser.parse_args_and_config(["clips", "--token", "secret"])
    assert raised.value.code == 2 and "unrecognized arguments: --token" in capsys.readouterr().err
    config = tmp_path / "x.yaml"
    config.write_text("width: 10\ncolour: red\n")
    with pytest.raises(SystemExit):
        parser.parse_args_and_config(["clips", "--config", str(config)])
    assert "unrecognized arguments: --colour red" in capsys.readouterr().err
