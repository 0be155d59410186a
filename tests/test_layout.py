"""The package's layout rules, checked on its sources: no import cycles (each module imports alone), no
hand-written argument parsing in the library, every CLI flag from a dataclass, modules of a readable size."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "timewarp_hf"
# A module longer than this says why in its docstring ("... is long because ...").
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.update(id(n) for n in ast.walk(node))
    return nodes


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Package modules ``name`` imports, at module level or inside functions (``TYPE_CHECKING`` blocks
    aside); a submodule's import of its own package, and a package's of its submodules, are not edges:
    Python runs the package ``__init__`` first anyway."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            if target in modules and target != name:
                if name.startswith(f"{target}.") or (
                    path.name == "__init__.py" and target.startswith(f"{name}.")
                ):
                    continue
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_package_modules():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert sum(map(len, graph.values())) > 100  # the walk sees the package's imports
    assert _cycles(graph) == []


def test_each_module_imports_alone():
    """Each module imported first, with no other package module loaded before it: an import-order cycle
    (A needs B at import time, B needs A) fails here whichever module a user imports first."""
    names = sorted(n for n in _modules() if not n.startswith("timewarp_hf.hub_cards"))
    script = (
        "import importlib, sys, traceback\n"
        "failed = []\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'timewarp_hf' or m.startswith('timewarp_hf.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc().splitlines()[-1])\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_library_modules_parse_no_arguments_by_hand():
    offenders = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            imported = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            if "argparse" in imported:
                offenders.append(name)
    assert offenders == []


def test_modules_are_short_or_say_why():
    long = {}
    for name, path in _modules().items():
        lines = len(path.read_text().splitlines())
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > MAX_LINES and "is long because" not in " ".join(docstring.split()):
            long[name] = lines
    assert long == {}


def test_every_flag_of_every_command_comes_from_a_dataclass_field():
    import dataclasses

    from timewarp_hf.cli import COMMANDS
    from timewarp_hf.commands import parser_for

    checked = 0
    for command in COMMANDS.values():
        parser = parser_for(command)
        fields = {
            f.name for dtype in command.arguments() for f in dataclasses.fields(dtype) if f.init
        }  # fmt: skip
        for action in parser._actions:
            if action.dest in ("help",):
                continue
            assert action.dest in fields, (command.name, action.option_strings or action.dest)
            checked += 1
            if command.name != "train":  # TRL leaves some of its own fields without help
                assert action.help, f"timewarp {command.name}: {action.dest} has no help text"
    assert checked > 150


@pytest.mark.parametrize("command", ["build", "eval", "push dataset", "demo", "quickstart"])
def test_config_file_sets_any_flag(command, tmp_path):
    """``--config file.yaml`` works for every subcommand, and the command line wins over the file."""
    from timewarp_hf.cli import COMMANDS
    from timewarp_hf.commands import parser_for

    file_values, argv, (flag, wanted) = {
        "build": ({"base": "videos", "captioner": "m", "num_frames": 4, "output": "o"}, ["--num_frames", "6"], ("num_frames", 6)),
        "eval": ({"model": "m", "benchmark": "mvbench", "num_frames": 4}, ["--limit", "5"], ("limit", 5)),
        "push dataset": ({"license": "mit", "dry_run": "d"}, ["pairs", "me/x", "--dry_run", "e"], ("dry_run", "e")),
        "demo": ({"port": 8000, "host": "0.0.0.0"}, ["--port", "9000"], ("port", 9000)),
        "quickstart": ({"videos": 3, "gain": False}, ["--videos", "5"], ("videos", 5)),
    }[command]  # fmt: skip
    config = tmp_path / "recipe.yaml"
    config.write_text("".join(f"{k}: {v}\n" for k, v in {**file_values, flag: "0"}.items()))
    parsed = parser_for(COMMANDS[command]).parse_args_and_config(["--config", str(config), *argv])
    merged = {k: v for instance in parsed for k, v in vars(instance).items()}
    assert merged[flag] == wanted  # the command line over the file
    for key, value in file_values.items():
        if key != flag:
            assert merged[key] == value, key


def test_the_0_1_names_still_work_and_say_what_replaced_them():
    import timewarp_hf
    from timewarp_hf import config, timewarp

    for module, old, new in (
        (timewarp_hf, "TimewarpConfig", config.TimeWarpConfig),
        (config, "TimewarpConfigError", config.TimeWarpConfigError),
        (timewarp, "TimewarpBuilder", timewarp.TimeWarpBuilder),
        (timewarp_hf, "TimewarpBuilder", timewarp.TimeWarpBuilder),
    ):
        with pytest.warns(FutureWarning, match=f"{old} is deprecated, use {new.__name__}"):
            assert getattr(module, old) is new
    with pytest.warns(FutureWarning, match="use timewarp_hf.mcq_benchmark"):
        import importlib

        sys.modules.pop("timewarp_hf.benchmarks", None)
        assert importlib.import_module("timewarp_hf.benchmarks").make_mcq_benchmark
