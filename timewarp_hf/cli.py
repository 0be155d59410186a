"""The ``timewarp`` command line: one subcommand per job.

Subcommands register themselves through :func:`_subcommand`; each parses its own arguments and calls the
library function that does the work, so everything the CLI does is also a Python call.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

__all__ = ["main", "run"]

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


def _configure_quickstart(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "output", nargs="?", default="outputs", help="folder for everything it makes (default: outputs)"
    )
    p.add_argument("--videos", type=int, default=4, help="sample videos to build pairs from (default: 4)")
    p.add_argument("--train-steps", type=int, default=6, help="DPO steps (default: 6)")
    p.add_argument(
        "--no-gain",
        action="store_true",
        help="skip fitting a tiny base and showing its TimeWarp gain (the step that takes minutes)",
    )
    p.add_argument("--readme", help="write the gain table into this markdown file's quickstart-gain block")


@_subcommand(
    "quickstart",
    "the main job offline on sample videos and a tiny model: warps, pairs, DPO, evaluation, Hub folders",
    _configure_quickstart,
)
def _quickstart(args: argparse.Namespace) -> int:
    from .quickstart import run_quickstart

    run_quickstart(
        args.output,
        videos=args.videos,
        train_steps=args.train_steps,
        gain=not args.no_gain,
        readme=args.readme,
    )
    return 0


def _configure_temporal_benchmark(p: argparse.ArgumentParser) -> None:
    p.add_argument("output", help="folder to write the clips and metadata.jsonl into")
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument(
        "--pairs-per-type", type=int, default=8, help="clip pairs (clip + its reversal) per question type"
    )


@_subcommand(
    "temporal-benchmark",
    "write the synthetic temporal benchmark (answers depend only on frame order)",
    _configure_temporal_benchmark,
)
def _temporal_benchmark(args: argparse.Namespace) -> int:
    from .testing.temporal_benchmark import make_temporal_benchmark

    rows = make_temporal_benchmark(args.output, args.split, pairs_per_type=args.pairs_per_type)
    print(json.dumps({"questions": len(rows), "output": args.output}))
    return 0


def _configure_tiny_model(p: argparse.ArgumentParser) -> None:
    from .testing.models import LM_FAMILIES, VLM_FAMILIES

    p.add_argument("output", help="folder to save the checkpoint into")
    p.add_argument("--family", default="qwen2_vl", choices=[*VLM_FAMILIES, *LM_FAMILIES])
    p.add_argument("--seed", type=int, default=0)


@_subcommand(
    "tiny-model",
    "save a tiny randomly initialised model (for trying the pipeline offline)",
    _configure_tiny_model,
)
def _tiny_model(args: argparse.Namespace) -> int:
    from .testing.models import LM_FAMILIES, make_tiny_lm, make_tiny_vlm

    make = make_tiny_lm if args.family in LM_FAMILIES else make_tiny_vlm
    print(make(args.output, args.family, seed=args.seed))
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


def _configure_build(p: argparse.ArgumentParser) -> None:
    import dataclasses

    import datasets

    from .config import TimewarpConfig

    inherited = {f.name for f in dataclasses.fields(datasets.BuilderConfig)}
    for field in dataclasses.fields(TimewarpConfig):
        if field.name in inherited or field.name == "templates":
            continue
        flag = "--" + field.name.replace("_", "-")
        default = field.default
        if isinstance(default, tuple) or field.name == "questions":
            p.add_argument(flag, nargs="+", default=default)
        elif isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            p.add_argument(flag, type=type(default), default=default)
        elif field.name in ("fps", "max_scene_end"):
            p.add_argument(flag, type=float, default=default)
        elif field.name in ("max_videos", "max_frames"):
            p.add_argument(flag, type=int, default=default)
        else:
            p.add_argument(flag, default=default)
    p.add_argument("--output", required=True, help="folder to save the pairs into (save_to_disk)")
    p.add_argument("--num-proc", type=int, default=None, help="build with this many processes")
    p.add_argument("--llava-hound", default=None, help="also write the LLaVA-Hound JSON schema to this file")
    p.add_argument(
        "--push-to-hub", default=None, metavar="REPO", help="also push the pairs to this Hub dataset repo"
    )


@_subcommand(
    "build",
    "build TimeWarp preference pairs from a video dataset (load_dataset('timewarp', ...))",
    _configure_build,
)
def _build(args: argparse.Namespace) -> int:
    from datasets import load_dataset

    from . import registration
    from .export import write_llava_hound

    registration.register()
    options = {
        k: v
        for k, v in vars(args).items()
        if k not in ("command", "output", "num_proc", "llava_hound", "push_to_hub")
    }
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    pairs = load_dataset("timewarp", split="train", num_proc=args.num_proc, **options)
    pairs.save_to_disk(args.output)
    summary = json.loads(pairs.info.description)
    with open(f"{args.output}/timewarp_summary.json", "w") as handle:
        json.dump(summary, handle, indent=2)
    if args.llava_hound:
        write_llava_hound(pairs, args.llava_hound)
    print(
        json.dumps(
            {
                "pairs": len(pairs),
                "output": args.output,
                "skipped": summary["skipped"],
                "filtered": summary["filtered"],
            }
        )
    )
    if args.push_to_hub:
        from .hub import push_dataset

        try:
            push_dataset(args.output, args.push_to_hub)  # with its card, example picture and summary
        except Exception as exc:  # the pairs are saved: say so, and how to push them again
            print(
                f"timewarp build: the pairs are saved in {args.output}, but the push failed "
                f"({type(exc).__name__}: {exc}); retry with `timewarp push dataset {args.output} "
                f"{args.push_to_hub}`",
                file=sys.stderr,
            )
            return 1
    return 0


def _configure_merge(p: argparse.ArgumentParser) -> None:
    p.add_argument("shards", nargs="+", help="the --output folders of `timewarp build --num-shards N`")
    p.add_argument("--output", required=True, help="folder for the merged pairs, summary and card")
    p.add_argument("--repo-id", default=None, help="Hub repo named in the card (default your-name/<output>)")
    p.add_argument("--license", default=None, help="licence in the card (default: the base data's)")


@_subcommand(
    "merge", "join shard builds (build --num-shards N --shard-index i) into one dataset", _configure_merge
)
def _merge(args: argparse.Namespace) -> int:
    from .shards import merge_builds

    merged = merge_builds(args.shards, args.output, repo_id=args.repo_id, license=args.license)
    summary = json.loads(merged.info.description)
    print(
        json.dumps(
            {
                "pairs": len(merged),
                "shards": len(args.shards),
                "output": args.output,
                "videos_seen": summary.get("videos_seen"),
                "skipped": summary.get("skipped"),
            }
        )
    )
    return 0


def _configure_push(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_subparsers(dest="target", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--private", action="store_true", default=None, help="create the repo private")
        p.add_argument("--commit-message", default=None)
        p.add_argument(
            "--dry-run",
            metavar="DIR",
            default=None,
            help="write the exact folder that would be uploaded to DIR, and upload nothing",
        )

    p = targets.add_parser(
        "dataset", help="TimeWarp pairs (a `timewarp build --output` folder) with their card"
    )
    p.add_argument("pairs", help="folder written by `timewarp build --output`")
    p.add_argument("repo_id", help="Hub dataset repo, e.g. me/timewarp-pairs")
    p.add_argument("--license", default=None, help="license id (default: the base data's, else 'unknown')")
    common(p)
    p = targets.add_parser("model", help="a trained model folder, its card completed with evaluation results")
    p.add_argument("model_dir", help="the trainer's output_dir (or any save_pretrained folder)")
    p.add_argument("repo_id", help="Hub model repo, e.g. me/qwen2.5-vl-3b-timewarp")
    p.add_argument("--base-model", default=None, help="Hub id of the base model (default: as recorded)")
    p.add_argument("--dataset", default=None, help="Hub id of the TimeWarp pairs it was trained on")
    p.add_argument(
        "--eval-results", default=None, metavar="JSON", help='file with {"benchmark": {"metric": value}}'
    )
    p.add_argument("--license", default=None)
    common(p)
    p = targets.add_parser("space", help="the Gradio demo Space")
    p.add_argument("repo_id", help="Hub Space repo, e.g. me/timewarp-demo")
    p.add_argument(
        "--base-model",
        default=None,
        help="Hub id of the base Video-LLM (default: the quickstart's fitted tiny pair)",
    )
    p.add_argument("--timewarp-model", default=None, help="Hub id of the TimeWarp-trained model")
    p.add_argument("--dataset", default=None, help="Hub id of the TimeWarp pairs, linked from the Space")
    common(p)


@_subcommand(
    "push",
    "push a dataset, model or demo Space to the Hub with its card (--dry-run DIR writes what would go up)",
    _configure_push,
)
def _push(args: argparse.Namespace) -> int:
    """Stage the target into ``--dry-run DIR`` and stop, or into a temporary folder and upload it."""
    from .hub import dry_run, push_target

    options = {
        k: v
        for k, v in vars(args).items()
        if k in ("pairs", "model_dir", "base_model", "timewarp_model", "dataset", "license")
    }
    if getattr(args, "eval_results", None):
        with open(args.eval_results) as handle:
            options["eval_results"] = json.load(handle)
        # which version of each benchmark was scored, written beside the results by `eval --compare`
        versions = os.path.splitext(args.eval_results)[0] + ".datasets.json"
        if os.path.isfile(versions):
            with open(versions) as handle:
                options["eval_datasets"] = json.load(handle)
    if args.dry_run:
        report = dry_run(args.target, args.repo_id, args.dry_run, options, commit_message=args.commit_message)
        print(json.dumps(report, indent=2))
        return 1 if report["leaks"] else 0
    commit = push_target(
        args.target, args.repo_id, options, private=args.private, commit_message=args.commit_message
    )
    print(json.dumps({"repo_id": args.repo_id, "repo_type": args.target, "commit": commit.commit_url}))
    return 0


def _configure_demo(p: argparse.ArgumentParser) -> None:
    from .demo import configure_demo

    configure_demo(p)


@_subcommand("demo", "launch the Gradio demo locally (tiny models by default)", _configure_demo)
def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)


def _configure_eval(p: argparse.ArgumentParser) -> None:
    from .evaluation import configure_eval

    configure_eval(p)


@_subcommand(
    "eval",
    "score a Video-LLM (and its TimeWarp adapter) on a temporal benchmark, or --compare two runs",
    _configure_eval,
)
def _eval(args: argparse.Namespace) -> int:
    from .evaluation import run_eval_cli

    return run_eval_cli(args)


def _configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="TRL-style flags (--model_name_or_path, --dataset_name, --output_dir, ...; see --help)",
    )


@_subcommand(
    "train",
    "TimeWarp DPO on video preference pairs (TRL-style flags; `timewarp train -- --help`)",
    _configure_train,
)
def _train(args: argparse.Namespace) -> int:
    from .training import main as train_main

    return train_main(args.args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # TRL's parser owns every training flag
        from .training import main as train_main

        return train_main(argv[1:])
    parser = argparse.ArgumentParser(prog="timewarp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, _run) in _COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return _COMMANDS[args.command][2](args)


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
