"""The ``timewarp`` command line: one subcommand per job.

Subcommands register themselves through :func:`_subcommand`; each parses its own arguments and calls the
library function that does the work, so everything the CLI does is also a Python call.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence

__all__ = ["main"]

_COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


def _subcommand(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None]):
    def decorator(run: Callable[[argparse.Namespace], int]):
        _COMMANDS[name] = (help, configure, run)
        return run

    return decorator


def _configure_samples(p: argparse.ArgumentParser) -> None:
    p.add_argument("output", help="folder to write the sample videos into")
    p.add_argument("--count", type=int, default=4, help="number of clips (default: 4)")
    p.add_argument("--num-frames", type=int, default=48, help="frames per clip (default: 48)")


@_subcommand(
    "samples", "write synthetic sample videos (moving square, scenes, frame counter)", _configure_samples
)
def _samples(args: argparse.Namespace) -> int:
    from .testing.videos import make_sample_videos

    for path in make_sample_videos(args.output, args.count, num_frames=args.num_frames):
        print(path)
    return 0


def _configure_preview(p: argparse.ArgumentParser) -> None:
    from .preview import DEFAULT_PREVIEW_WARPS

    p.add_argument("videos", nargs="+", help="video files or folders of videos")
    p.add_argument(
        "--output", default="outputs", help="folder for the pictures and summary (default: outputs)"
    )
    p.add_argument(
        "--warps",
        nargs="+",
        default=list(DEFAULT_PREVIEW_WARPS),
        help="warp specs, e.g. reverse local_shuffle:window=4 (default: every warp)",
    )
    p.add_argument("--num-frames", type=int, default=8, help="frames sampled per video (default: 8)")
    p.add_argument("--seed", type=int, default=0)


@_subcommand(
    "preview",
    "decode videos once, apply every warp, write frame strips and a JSON summary",
    _configure_preview,
)
def _preview(args: argparse.Namespace) -> int:
    from .preview import preview_warps
    from .video import find_videos

    videos = [v for item in args.videos for v in find_videos(item)]
    if not videos:
        raise SystemExit(f"timewarp preview: no video files found in {args.videos}")
    summary = preview_warps(videos, args.output, warps=args.warps, num_frames=args.num_frames, seed=args.seed)
    print(
        json.dumps(
            {
                "videos": len(summary["videos"]),
                "skipped": summary["skipped"],
                "warp_skips": summary["warp_skips"],
                "output": args.output,
            }
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="timewarp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, _run) in _COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return _COMMANDS[args.command][2](args)


if __name__ == "__main__":
    sys.exit(main())
