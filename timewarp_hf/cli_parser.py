"""The one argument parser of every ``timewarp`` subcommand: flags generated from dataclasses.

TRL's :class:`~trl.TrlParser` (an :class:`~transformers.HfArgumentParser` that also reads ``--config
file.yaml``), taught four things the package's option dataclasses need, so that no module writes a flag by
hand:

* help texts from the dataclass's docstring (the ``name: what it is`` lines of its Google-style sections)
  when a field has no ``metadata["help"]``, so a field is documented once, where it is defined;
* positional arguments (``metadata={"positional": True}``), as in ``timewarp push dataset PAIRS REPO_ID``;
* ``tuple[X, ...]`` fields (the builder config's warps, questions), read like lists;
* fields left off the command line: a dataclass's ``cli_exclude`` class attribute names them (the
  ``datasets.BuilderConfig`` fields a build does not take, a config's dict-valued fields).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Union

from trl import TrlParser

__all__ = ["TimeWarpArgumentParser", "field_docs"]

_ITEM = re.compile(r"^(\s*)([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*:\s*(.*)$")


def field_docs(cls: type) -> dict[str, str]:
    """Each field's description from the docstrings of ``cls`` and its bases (``name: text`` items, the
    text possibly continued on more-indented lines; ``a, b: text`` documents both)."""
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        current: list[str] = []
        indent = -1
        for line in (klass.__doc__ or "").splitlines():
            match = _ITEM.match(line)
            items = [n.strip() for n in match.group(2).split(",")] if match else []
            if match and items and all(n in names for n in items):
                current, indent = items, len(match.group(1))
                for name in items:
                    docs[name] = match.group(3).strip()
            elif current and line.strip() and len(line) - len(line.lstrip()) > indent:
                for name in current:
                    docs[name] = f"{docs[name]} {line.strip()}".strip()
            else:
                current = []
    return {name: _plain(text) for name, text in docs.items()}


def _plain(text: str) -> str:
    """reST markup off: ``:mod:`~x.y``` -> ``y``, double-backquoted literals -> plain words."""
    text = re.sub(
        r":\w+:`~?([^`]+)`",
        lambda m: m.group(1).rsplit(".", 1)[-1] if "~" in m.group(0) else m.group(1),
        text,
    )
    return re.sub(r"``([^`]+)``", r"\1", text)


def _without_none(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


class TimeWarpArgumentParser(TrlParser):
    """``TrlParser`` over option dataclasses; see the module docstring for what it adds.

    ``parse_args_and_config(argv)`` returns one instance per dataclass, in the order given, after applying
    ``--config file.yaml`` (its keys are field names) and then the command line.
    """

    def parse_args_and_config(self, args: Any = None, **kwargs: Any) -> tuple[Any, ...]:
        """TRL's parse, with an unknown flag reported as argparse reports it (usage line, exit status 2)
        instead of a ``ValueError``."""
        if kwargs:
            return super().parse_args_and_config(args, **kwargs)
        *parsed, remaining = super().parse_args_and_config(args, return_remaining_strings=True)
        if remaining:
            self.error(f"unrecognized arguments: {' '.join(remaining)}")
        return tuple(parsed)

    def _add_dataclass_arguments(self, dtype: type) -> None:
        group = (
            self.add_argument_group(dtype._argument_group_name)
            if hasattr(dtype, "_argument_group_name")
            else self
        )
        hints = typing.get_type_hints(dtype)
        docs = field_docs(dtype)
        excluded = set(getattr(dtype, "cli_exclude", ()))
        for original in dataclasses.fields(dtype):
            if not original.init:
                continue
            if original.name in excluded:  # no flag; the dataclass gets its default
                if original.default_factory is not dataclasses.MISSING:
                    self.set_defaults(**{original.name: original.default_factory()})
                elif original.default is not dataclasses.MISSING:
                    self.set_defaults(**{original.name: original.default})
                continue
            field = _copy_field(original, hints[original.name], docs.get(original.name))
            if field.metadata.get("positional"):
                _add_positional(group, field)
            else:
                TrlParser._parse_dataclass_field(group, field)


def _copy_field(field: dataclasses.Field, annotation: Any, doc: str | None) -> dataclasses.Field:
    """A copy of ``field`` with its type resolved (tuples read as lists) and its help filled in, so the
    dataclass's own field objects stay untouched."""
    copy = dataclasses.field(
        default=field.default,
        default_factory=field.default_factory,
        metadata={**({"help": doc} if doc else {}), **field.metadata},
    )
    copy.name = field.name
    copy.init = field.init
    bare = _without_none(annotation)
    if typing.get_origin(bare) is tuple:
        item = typing.get_args(bare)[0]
        annotation = list[item] if bare is annotation else list[item] | None
        if isinstance(field.default, tuple):  # a list default shown and parsed like any other
            default = list(field.default)
            copy.default = dataclasses.MISSING
            copy.default_factory = lambda default=default: list(default)
    copy.type = annotation
    return copy


def _add_positional(parser: Any, field: dataclasses.Field) -> None:
    kwargs = {k: v for k, v in field.metadata.items() if k != "positional"}
    bare = _without_none(field.type)
    has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    if typing.get_origin(bare) is list:
        kwargs.setdefault("nargs", "*" if has_default else "+")
        kwargs["type"] = typing.get_args(bare)[0]
    else:
        kwargs["type"] = bare
        if has_default:
            kwargs.setdefault("nargs", "?")
    if has_default:
        kwargs["default"] = (
            field.default if field.default is not dataclasses.MISSING else field.default_factory()
        )
    kwargs.setdefault("metavar", field.name.upper())
    parser.add_argument(field.name, **kwargs)
