"""The ``timewarp`` subcommands: for each, the dataclasses its flags come from and the call it makes.

As TRL's command line: a subcommand is a name, the option dataclasses that
:class:`~timewarp_hf.cli_parser.TimeWarpArgumentParser` turns into flags (``--config file.yaml`` included),
and a function taking one instance of each. Where a library function has an options dataclass of its own
(:class:`~timewarp_hf.config.TimeWarpConfig` for ``build``, :class:`~timewarp_hf.evaluation.EvalArguments`
for ``eval``, TRL's for ``train``) the command uses it; the dataclasses below hold only what the other
commands take. Each subcommand imports its heavy parts when it runs, so ``timewarp --help`` stays fast.
:func:`main` runs one subcommand; :mod:`timewarp_hf.cli` is the console entry point around it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cli_parser import TimeWarpArgumentParser

__all__ = ["COMMANDS", "Command", "main"]


@dataclass(frozen=True)
class Command:
    """One subcommand: ``name`` (one or two words, ``"push dataset"``), its help line, a function returning
    its option dataclasses (imported when the command runs) and the function that runs it."""

    name: str
    help: str
    arguments: Callable[[], tuple[type, ...]]
    run: Callable[..., int]


COMMANDS: dict[str, Command] = {}


def _command(name: str, help: str, arguments: Callable[[], tuple[type, ...]]):
    def register(run: Callable[..., int]) -> Callable[..., int]:
        COMMANDS[name] = Command(name, help, arguments, run)
        return run

    return register


def _positional(help: str | None = None, **metadata: Any) -> dict[str, Any]:
    return {"positional": True, **({"help": help} if help else {}), **metadata}


# ------------------------------------------------------------------------------------------------ samples


@dataclass
class SamplesArguments:
    """``timewarp samples``.

    Args:
        output: Folder to write the sample videos into.
        count: Number of clips.
        num_frames: Frames per clip.
    """

    output: str = field(metadata=_positional())
    count: int = 4
    num_frames: int = 48


@_command(
    "samples",
    "write synthetic sample videos (moving square, scenes, frame counter)",
    lambda: (SamplesArguments,),
)
def _samples(args: SamplesArguments) -> int:
    from .testing.videos import make_sample_videos

    for path in make_sample_videos(args.output, args.count, num_frames=args.num_frames):
        print(path)
    return 0


# ----------------------------------------------------------------------------------- temporal-benchmark


@dataclass
class TemporalBenchmarkArguments:
    """``timewarp temporal-benchmark``.

    Args:
        output: Folder to write the clips and metadata.jsonl into.
        split: ``test`` or ``train`` (other clips, other seeds).
        pairs_per_type: Clip pairs (a clip and its time reversal) per question type.
    """

    output: str = field(metadata=_positional())
    split: str = field(default="test", metadata={"choices": ("train", "test")})
    pairs_per_type: int = 8


@_command(
    "temporal-benchmark",
    "write the synthetic temporal benchmark (answers depend only on frame order)",
    lambda: (TemporalBenchmarkArguments,),
)
def _temporal_benchmark(args: TemporalBenchmarkArguments) -> int:
    from .testing.temporal_benchmark import make_temporal_benchmark

    rows = make_temporal_benchmark(args.output, args.split, pairs_per_type=args.pairs_per_type)
    print(json.dumps({"questions": len(rows), "output": args.output}))
    return 0


# ------------------------------------------------------------------------------------------- tiny-model


@dataclass
class TinyModelArguments:
    """``timewarp tiny-model``.

    Args:
        output: Folder to save the checkpoint into.
        family: Model family: a Video-LLM (``qwen2_vl``, ``qwen2_5_vl``, ``llava_onevision``, ``smolvlm``)
            or a text LM (``qwen2``, ...); see ``timewarp_hf.testing.models``.
        seed: Seed of the random weights.
    """

    output: str = field(metadata=_positional())
    family: str = "qwen2_vl"
    seed: int = 0


@_command(
    "tiny-model",
    "save a tiny randomly initialised model (for trying the pipeline offline)",
    lambda: (TinyModelArguments,),
)
def _tiny_model(args: TinyModelArguments) -> int:
    from .testing.models import LM_FAMILIES, make_tiny_lm, make_tiny_vlm

    make = make_tiny_lm if args.family in LM_FAMILIES else make_tiny_vlm
    print(make(args.output, args.family, seed=args.seed))
    return 0


# ---------------------------------------------------------------------------------------------- preview


def _every_warp() -> list[str]:
    from .preview import DEFAULT_PREVIEW_WARPS

    return list(DEFAULT_PREVIEW_WARPS)


@dataclass
class PreviewArguments:
    """``timewarp preview``.

    Args:
        videos: Video files or folders of videos.
        output: Folder for the pictures and the summary.
        warps: Warp specs, e.g. ``reverse local_shuffle:window=4`` (default: every warp).
        num_frames: Frames sampled per video.
        seed: Seeds the random warps.
    """

    videos: list[str] = field(metadata=_positional())
    output: str = "outputs"
    warps: list[str] = field(default_factory=_every_warp)
    num_frames: int = 8
    seed: int = 0


@_command(
    "preview",
    "decode videos once, apply every warp, write frame strips and a JSON summary",
    lambda: (PreviewArguments,),
)
def _preview(args: PreviewArguments) -> int:
    from .preview import preview_warps
    from .video import find_videos

    videos = [v for item in args.videos for v in find_videos(item)]
    if not videos:
        raise SystemExit(f"timewarp preview: no video files found in {args.videos}")
    summary = preview_warps(videos, args.output, warps=args.warps, num_frames=args.num_frames, seed=args.seed)
    report = {k: summary[k] for k in ("skipped", "warp_skips")}
    print(json.dumps({"videos": len(summary["videos"]), **report, "output": args.output}))
    return 0


# ------------------------------------------------------------------------------------------------ build


@dataclass
class BuildArguments:
    """``timewarp build``: where the pairs go (every other flag is a ``TimeWarpConfig`` field).

    Args:
        output: Folder to save the pairs into (``save_to_disk``), with ``timewarp_summary.json``.
        num_proc: Build with this many processes.
        llava_hound: Also write the pairs in the LLaVA-Hound JSON schema to this file.
        push_to_hub: Also push the pairs, with their card, to this Hub dataset repo.
    """

    output: str
    num_proc: int | None = None
    llava_hound: str | None = None
    push_to_hub: str | None = None


def _build_arguments() -> tuple[type, ...]:
    from .config import TimeWarpConfig

    return (TimeWarpConfig, BuildArguments)


@_command(
    "build",
    "build TimeWarp preference pairs from a video dataset (load_dataset('timewarp', ...))",
    _build_arguments,
)
def _build(config: Any, args: BuildArguments) -> int:
    from dataclasses import fields

    from datasets import load_dataset

    from . import registration
    from .export import write_llava_hound

    registration.register()
    options = {f.name: getattr(config, f.name) for f in fields(config) if f.name not in config.cli_exclude}
    pairs = load_dataset("timewarp", split="train", num_proc=args.num_proc, **options)
    pairs.save_to_disk(args.output)
    summary = json.loads(pairs.info.description)
    with open(f"{args.output}/timewarp_summary.json", "w") as handle:
        json.dump(summary, handle, indent=2)
    if args.llava_hound:
        write_llava_hound(pairs, args.llava_hound)
    counts = {k: summary[k] for k in ("skipped", "filtered")}
    print(json.dumps({"pairs": len(pairs), "output": args.output, **counts}))
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


# ------------------------------------------------------------------------------------------------ merge


@dataclass
class MergeArguments:
    """``timewarp merge``.

    Args:
        shards: The ``--output`` folders of ``timewarp build --num-shards N --shard-index i``.
        output: Folder for the merged pairs, summary and card.
        repo_id: Hub repo named in the card (default: your-name/<output>).
        license: Licence in the card (default: the base data's).
    """

    shards: list[str] = field(metadata=_positional())
    output: str
    repo_id: str | None = None
    license: str | None = None


@_command(
    "merge",
    "join shard builds (build --num-shards N --shard-index i) into one dataset",
    lambda: (MergeArguments,),
)
def _merge(args: MergeArguments) -> int:
    from .shards import merge_builds

    merged = merge_builds(args.shards, args.output, repo_id=args.repo_id, license=args.license)
    summary = json.loads(merged.info.description)
    counts = {k: summary.get(k) for k in ("videos_seen", "skipped")}
    print(json.dumps({"pairs": len(merged), "shards": len(args.shards), "output": args.output, **counts}))
    return 0


# ------------------------------------------------------------------------------------------------- push


@dataclass
class PushOptions:
    """What every ``timewarp push`` target takes.

    Args:
        private: Create the repo private.
        commit_message: The commit message of the upload.
        dry_run: Write the exact folder that would be uploaded to this folder, and upload nothing.
    """

    private: bool = False
    commit_message: str | None = None
    dry_run: str | None = None


@dataclass
class PushDatasetArguments:
    """``timewarp push dataset``.

    Args:
        pairs: Folder written by ``timewarp build --output``.
        repo_id: Hub dataset repo, e.g. ``me/timewarp-pairs``.
        license: Licence id (default: the base data's, else ``unknown``).
    """

    pairs: str = field(metadata=_positional())
    repo_id: str = field(metadata=_positional())
    license: str | None = None


@dataclass
class PushModelArguments:
    """``timewarp push model``.

    Args:
        model_dir: The trainer's ``output_dir`` (or any ``save_pretrained`` folder).
        repo_id: Hub model repo, e.g. ``me/qwen2.5-vl-3b-timewarp``.
        base_model: Hub id of the base model (default: as recorded in the folder).
        dataset: Hub id of the TimeWarp pairs it was trained on.
        eval_results: JSON file ``{"benchmark": {"metric": value}}`` (``timewarp compare --output``); the
            benchmark versions it names are read from the ``.datasets.json`` file beside it.
        license: Licence id.
    """

    model_dir: str = field(metadata=_positional())
    repo_id: str = field(metadata=_positional())
    base_model: str | None = None
    dataset: str | None = None
    eval_results: str | None = None
    license: str | None = None


@dataclass
class PushSpaceArguments:
    """``timewarp push space``.

    Args:
        repo_id: Hub Space repo, e.g. ``me/timewarp-demo``.
        base_model: Hub id of the base Video-LLM (default: the quickstart's fitted tiny pair).
        timewarp_model: Hub id of the TimeWarp-trained model.
        dataset: Hub id of the TimeWarp pairs, linked from the Space.
    """

    repo_id: str = field(metadata=_positional())
    base_model: str | None = None
    timewarp_model: str | None = None
    dataset: str | None = None


def _push(target: str, args: Any, options: PushOptions) -> int:
    """Stage the target into ``--dry-run DIR`` and stop, or into a temporary folder and upload it."""
    from dataclasses import asdict

    from .hub import dry_run, push_target

    values = {k: v for k, v in asdict(args).items() if k != "repo_id"}
    if values.get("eval_results"):
        path = values["eval_results"]
        with open(path) as handle:
            values["eval_results"] = json.load(handle)
        # which version of each benchmark was scored, written beside the results by `timewarp compare`
        versions = os.path.splitext(path)[0] + ".datasets.json"
        if os.path.isfile(versions):
            with open(versions) as handle:
                values["eval_datasets"] = json.load(handle)
    values = {k: v for k, v in values.items() if v is not None}
    if options.dry_run:
        report = dry_run(target, args.repo_id, options.dry_run, values, commit_message=options.commit_message)
        print(json.dumps(report, indent=2))
        return 1 if report["leaks"] else 0
    commit = push_target(
        target, args.repo_id, values, private=options.private or None, commit_message=options.commit_message
    )
    print(json.dumps({"repo_id": args.repo_id, "repo_type": target, "commit": commit.commit_url}))
    return 0


for _target, _arguments, _help in (
    ("dataset", PushDatasetArguments, "TimeWarp pairs (a `timewarp build --output` folder) with their card"),
    ("model", PushModelArguments, "a trained model folder, its card completed with evaluation results"),
    ("space", PushSpaceArguments, "the Gradio demo Space"),
):
    _command(
        f"push {_target}",
        f"push {_help} (--dry-run DIR writes what would go up)",
        lambda a=_arguments: (a, PushOptions),
    )(lambda args, options, target=_target: _push(target, args, options))


# ------------------------------------------------------------------------------------------ eval, compare


def _eval_arguments() -> tuple[type, ...]:
    from .evaluation import EvalArguments

    return (EvalArguments,)


@_command("eval", "score a Video-LLM (and its TimeWarp adapter) on a temporal benchmark", _eval_arguments)
def _eval(args: Any) -> int:
    from .evaluation import format_scores, run_eval

    scores = run_eval(args)
    print(format_scores(scores))
    print(f"\npredictions and scores in {scores['output']}")
    return 0 if scores["scored"] else 1


def _compare_arguments() -> tuple[type, ...]:
    from .evaluation.compare import CompareArguments

    return (CompareArguments,)


@_command(
    "compare",
    "base vs tuned: two `timewarp eval` runs side by side, and the model card's input",
    _compare_arguments,
)
def _compare(args: Any) -> int:
    from .evaluation.compare import run_compare

    print(run_compare(args.base, args.tuned, output=args.output))
    return 0


# ------------------------------------------------------------------------------------------- train, demo


def _train_arguments() -> tuple[type, ...]:
    from .training import ScriptArguments, TimeWarpDPOConfig, TimeWarpModelConfig

    return (ScriptArguments, TimeWarpDPOConfig, TimeWarpModelConfig)


@_command(
    "train",
    "TimeWarp DPO on video preference pairs (TRL's flags: --model_name_or_path, ...)",
    _train_arguments,
)
def _train(script_args: Any, training_args: Any, model_args: Any) -> int:
    from .training import train

    return train(script_args, training_args, model_args)


def _demo_arguments() -> tuple[type, ...]:
    from .demo import DemoArguments

    return (DemoArguments,)


@_command("demo", "launch the Gradio demo locally (tiny models by default)", _demo_arguments)
def _demo(args: Any) -> int:
    from .demo import run_demo

    return run_demo(args)


# ------------------------------------------------------------------------------------------------- main


def _overview(prefix: str = "") -> str:
    names = [n for n in COMMANDS if n.startswith(prefix)]
    width = max(map(len, names))
    head = f"{prefix}<target>" if prefix else "<command>"
    lines = [f"usage: timewarp {head} [--config FILE.yaml] [flags]"]
    lines += ["", "commands:"] + [f"  {n.ljust(width)}  {COMMANDS[n].help}" for n in names]
    lines += ["", "`timewarp <command> --help` lists a command's flags."]
    return "\n".join(lines)


def parser_for(command: Command) -> TimeWarpArgumentParser:
    """The parser of one subcommand: its dataclasses' fields as flags."""
    return TimeWarpArgumentParser(
        command.arguments(), prog=f"timewarp {command.name}", description=command.help
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand on ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = next((" ".join(argv[:n]) for n in (2, 1) if " ".join(argv[:n]) in COMMANDS), None)
    if name is None:
        prefix = f"{argv[0]} " if argv and any(n.startswith(f"{argv[0]} ") for n in COMMANDS) else ""
        if not argv or argv[0] in ("-h", "--help") or (prefix and argv[1:2] in ([], ["-h"], ["--help"])):
            print(_overview(prefix))
            return 0
        wanted = " ".join(argv[:2]) if prefix else argv[0]
        raise SystemExit(f"timewarp: error: unknown command {wanted!r}\n\n{_overview(prefix)}")
    command = COMMANDS[name]
    parsed = parser_for(command).parse_args_and_config(argv[len(name.split()) :])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return command.run(*parsed)
