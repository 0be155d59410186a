"""The ``timewarp`` console command: one subcommand per job (:mod:`timewarp_hf.commands`), plus
``timewarp quickstart``, which runs the others the way a user would.

Every flag of every subcommand comes from a dataclass (:mod:`timewarp_hf.cli_parser`); ``--config
file.yaml`` sets any of them. A bad option or input ends as one line naming the field and the fix (exit
status 2), not a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from .commands import COMMANDS, Command
from .commands import main as main

__all__ = ["QuickstartArguments", "main", "run"]


@dataclass
class QuickstartArguments:
    """``timewarp quickstart``.

    Args:
        output: Folder for everything it makes.
        videos: Sample videos to build pairs from.
        train_steps: DPO steps of the pipeline run.
        gain: Also fit a tiny base and show its TimeWarp gain (the step that takes minutes;
            ``--no-gain`` skips it).
        readme: Write the gain table into this markdown file's quickstart-gain block.
    """

    output: str = field(default="outputs", metadata={"positional": True})
    videos: int = 4
    train_steps: int = 6
    gain: bool = True
    readme: str | None = None


def _quickstart(args: QuickstartArguments) -> int:
    from .quickstart import run_quickstart

    run_quickstart(
        args.output, videos=args.videos, train_steps=args.train_steps, gain=args.gain, readme=args.readme
    )
    return 0


# Registered here, not in `commands`: the quickstart runs those commands, so it sits above them.
COMMANDS["quickstart"] = Command(
    "quickstart",
    "the main job offline on sample videos and a tiny model: warps, pairs, DPO, evaluation, Hub folders",
    lambda: (QuickstartArguments,),
    _quickstart,
)


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad options or inputs (their messages name the field and the fix)."""
    from .extras import MissingExtraError
    from .generation import GenerationError
    from .hub import HubAuthError, HubLeakError
    from .timewarp import NoPairsError

    return (
        ValueError,
        FileNotFoundError,
        TypeError,
        GenerationError,
        HubAuthError,
        HubLeakError,
        NoPairsError,
        MissingExtraError,
    )


def run(argv: Sequence[str] | None = None) -> int:
    """The console entry point: :func:`main`, with a bad option or input reported as one clear line
    (``timewarp <command>: error: ...``, exit status 2) instead of a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return main(args)
    except SystemExit as exc:
        if not isinstance(exc.code, str):  # argparse's usage errors already printed and set status 2
            raise
        print(exc.code, file=sys.stderr)  # a command's own "timewarp <command>: ..." message
        return 2
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        print(f"timewarp {args[0] if args else ''}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run())
