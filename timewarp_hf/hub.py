"""Everything TimeWarp makes, on the Hub: dataset and model cards, and the push of dataset, model and Space.

Cards are rendered from the templates in ``hub_cards/`` through ``huggingface_hub``'s card API
(:class:`~huggingface_hub.DatasetCard`, :class:`~huggingface_hub.ModelCard`, their ``CardData``), so the
YAML metadata is written and parsed by the same code the Hub uses, and validated before anything leaves.

Every push goes in two steps: *stage* (``export_dataset``, ``stage_model``, ``stage_space``) writes the exact
folder that would be uploaded, then :func:`push_folder` checks it for leaks and uploads it with
``create_repo`` + ``upload_folder``. ``timewarp push ... --dry-run DIR`` stops after the first step, so what
a user inspects is byte for byte what would go up. The token is never an argument: ``huggingface_hub``
reads it from ``HF_TOKEN`` or the ``hf auth login`` file, and no file we write ever holds it. Local paths
(the base videos' folder, a local captioner checkpoint) are reduced to their last component in everything
we write, and the staged folder is scanned for the token and the local folders before any upload.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets
from huggingface_hub import (
    CommitInfo,
    DatasetCard,
    DatasetCardData,
    EvalResult,
    HfApi,
    ModelCard,
    ModelCardData,
    SpaceCard,
    get_token,
)

from . import __version__
from .prompts import PROMPT_VERSION
from .timewarp import CITATION, SUMMARY_FILE

__all__ = [
    "CARDS_DIR",
    "DATASET_TAGS",
    "HubAuthError",
    "HubLeakError",
    "base_license",
    "configure_push",
    "eval_results_from_dict",
    "example_picture",
    "export_dataset",
    "find_leaks",
    "model_card_section",
    "push_dataset",
    "push_folder",
    "push_model",
    "push_space",
    "render_dataset_card",
    "render_model_card",
    "run_push",
    "scrub_local_paths",
    "stage_model",
    "stage_space",
    "update_model_card",
    "validate_dataset_card",
    "validate_model_card",
]

logger = logging.getLogger(__name__)

CARDS_DIR = Path(__file__).resolve().parent.parent / "hub_cards"
DATASET_TAGS = ("timewarp", "dpo", "preference", "video-text-to-text")
MODEL_TAGS = ("timewarp", "dpo", "trl", "video", "video-text-to-text")
TASK_CATEGORY = "video-text-to-text"
EXAMPLE_IMAGE = "images/example_warps.png"
DEFAULT_MAX_SHARD_BYTES = 500 * 1024**2
# Rows of the example picture: enough to see what the warps do, few enough to stay readable on a card.
_MAX_PICTURE_ROWS = 6


# Hub ids of benchmarks whose scores `timewarp eval` reports, so `model-index` links the right dataset.
def _benchmark_dataset(benchmark: str) -> str:
    """The Hub dataset a benchmark name refers to, from the eval harness's adapters (one source of truth);
    TOMATO has no adapter yet but is scored by the metrics."""
    from .evaluation.adapters import ADAPTERS

    key = benchmark.lower().replace("-", "")
    for adapter in ADAPTERS.values():
        if adapter.hub_id and key in (adapter.name.replace("-", ""), adapter.name.split("_")[0]):
            return adapter.hub_id
    return {"tomato": "lmms-eval/TOMATO"}.get(key, benchmark)


# What goes into a model repo from a trainer's output folder (as `Trainer.push_to_hub`, plus the pickled
# training arguments, which hold local paths).
_MODEL_IGNORE = ("checkpoint-*", "_*", "runs", "training_args.bin", ".git", "__pycache__", "*.pyc")
# JSON keys a trainer or `save_pretrained` fills with a local folder.
_PATH_KEYS = frozenset(
    {"base_model_name_or_path", "_name_or_path", "name_or_path", "best_model_checkpoint", "output_dir"}
)
# Large JSON files that hold a vocabulary, not paths: never parsed.
_VOCAB_FILES = frozenset({"tokenizer.json", "vocab.json"})
# Files larger than this are weights; the leak scan skips them (we never write into them).
_MAX_SCANNED_BYTES = 200 * 1024**2

_RECIPES = {
    "explicit": (
        "**`explicit`** (the paper's main data, *TimeWarp-Explicit*): a language model wrote temporal "
        "question-answer pairs from the scene captions **in their true order** (chosen), then answered the "
        "same questions from the **shuffled** captions (rejected). Scenes were trimmed to those ending by "
        "the cut-off, and videos with too few scenes were skipped."
    ),
    "warped": (
        "**`warped`** (frame-level, as the paper describes the method): a Video-LLM answered a temporal "
        "question on the sampled frames **in their true order** (chosen) and on a **time-warped** copy of "
        "the same frames (rejected): reversed, scene-shuffled, segments swapped, locally shuffled, frames "
        "dropped or frozen, or played at another speed. Every warp indexes the one decode of the video."
    ),
    "implicit": (
        "**`implicit`** (STIC-style, *TimeWarp-Implicit*): a Video-LLM described the clean frames with a "
        "detailed temporal prompt (chosen), and the **corrupted** frames (extreme downscale, colour "
        "jitter) or the clean frames under a **hallucination-inducing** prompt (rejected)."
    ),
}


class HubAuthError(RuntimeError):
    """No Hub token: the message says how to provide one (``hf auth login`` or ``HF_TOKEN``)."""


class HubLeakError(RuntimeError):
    """A staged file holds the Hub token or a local path; nothing was uploaded."""


# --------------------------------------------------------------------------------------------- helpers
_LOCAL_PATH = re.compile(r"(?<![\w/.\-~])~?/(?!/)[^\s\"'()<>,;|`]+")


def scrub_local_paths(text: str) -> str:
    """Replace every absolute local path in ``text`` by its last component.

    ``"transformers:/home/me/ckpt/tiny-vlm (prompts tw-1)"`` becomes ``"transformers:tiny-vlm (prompts
    tw-1)"``; Hub ids (``Qwen/Qwen2.5-VL-3B``) and URLs are left alone. Used on every descriptive string
    that goes to the Hub, since a build records where its videos and models came from.
    """
    return _LOCAL_PATH.sub(lambda m: Path(m.group().rstrip("/")).name or "<local>", text)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _is_hub_id(value: str) -> bool:
    return bool(re.fullmatch(r"[\w.\-]+/[\w.\-]+", value)) and not os.path.exists(value)


def _template(name: str) -> Path:
    path = CARDS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"card template {path} is missing: hub_cards/ ships with the timewarp-hf source tree; "
            "install it from a checkout (pip install -e .)"
        )
    return path


def _size_category(n: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < bound:
            return label
    return "100K<n<1M" if n < 1_000_000 else "1M<n<10M"


def _sub_paths(value: Any, replace: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: replace(v) if k in _PATH_KEYS and isinstance(v, str) else _sub_paths(v, replace)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_sub_paths(v, replace) for v in value]
    return value


# --------------------------------------------------------------------------------------------- dataset
def _load_pairs(pairs: datasets.Dataset | str | os.PathLike) -> tuple[datasets.Dataset, dict[str, Any]]:
    """The pairs and their build summary, from a ``Dataset`` or a ``timewarp build --output`` folder."""
    summary: dict[str, Any] = {}
    if isinstance(pairs, datasets.Dataset):
        dataset = pairs
    else:
        folder = Path(pairs)
        if not folder.is_dir():
            raise FileNotFoundError(
                f"pairs folder {folder} does not exist: pass what `timewarp build --output` wrote"
            )
        dataset = datasets.load_from_disk(str(folder))
        if isinstance(dataset, datasets.DatasetDict):
            dataset = dataset["train"]
        if (folder / SUMMARY_FILE).is_file():
            summary = json.loads((folder / SUMMARY_FILE).read_text())
    if not summary and dataset.info.description:
        try:
            summary = json.loads(dataset.info.description)
        except json.JSONDecodeError:
            summary = {}
    missing = {"prompt", "chosen", "rejected", "video"} - set(dataset.column_names)
    if missing:
        raise ValueError(f"not a TimeWarp pairs dataset: columns {sorted(missing)} are missing")
    feature = dataset.features["video"]
    if isinstance(feature, datasets.Video) and feature.decode:
        dataset = dataset.cast_column("video", datasets.Video(decode=False))
    return dataset, summary


def base_license(base: str | None) -> str | None:
    """The license declared by the base data's card: a local folder's ``README.md`` or a Hub dataset's
    card (read from the local cache when offline). ``None`` when it cannot be known."""
    if not base or base.startswith("dataset:"):
        return None
    hub_id = base.split("@", 1)[0]
    try:
        if os.path.isdir(base):
            readme = Path(base) / "README.md"
            card = DatasetCard.load(readme) if readme.is_file() else None
        else:
            card = DatasetCard.load(hub_id, repo_type="dataset")
    except Exception as exc:  # offline, missing card, gated repo: the license is simply unknown
        logger.info("could not read the base data's card (%s): %s", hub_id, exc)
        return None
    license_ = card.data.license if card is not None else None
    return ", ".join(license_) if isinstance(license_, list) else license_


def _describe_base(base: str | None) -> tuple[str, str | None, str | None]:
    """(name for a card, link, Hub id) of the base data, without any local path."""
    if not base:
        return "an unnamed video collection", None, None
    if base.startswith("dataset:"):
        return "an in-memory `datasets.Dataset`", None, None
    hub_id = base.split("@", 1)[0]
    if not os.path.isabs(base) and _is_hub_id(hub_id):
        return hub_id, f"https://huggingface.co/datasets/{hub_id}", hub_id
    return f"local videos (`{scrub_local_paths(base) if os.path.isabs(base) else base}`)", None, None


def _pair_counts(dataset: datasets.Dataset) -> Counter:
    counts: Counter = Counter()
    recipes = dataset["recipe"] if "recipe" in dataset.column_names else ["unknown"] * len(dataset)
    warps = dataset["warp"] if "warp" in dataset.column_names else [None] * len(dataset)
    for recipe, warp in zip(recipes, warps):
        counts[(recipe, _warp_record(warp).get("name", "unknown") if warp else "none")] += 1
    return counts


def _warp_record(warp: str | None) -> dict[str, Any]:
    """A row's ``warp`` JSON as a dict (empty when missing or not a JSON object)."""
    try:
        record = json.loads(warp) if warp else {}
    except json.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def _prompt_versions(generators: Sequence[str]) -> list[str]:
    found = sorted({m for g in generators for m in re.findall(r"\(prompts ([^)]+)\)", g)})
    return found or [PROMPT_VERSION]


def example_picture(pairs: datasets.Dataset | str | os.PathLike, *, thumb_height: int = 64):
    """A PNG-ready strip of one video of the pairs: the frames the answers saw, then each warp of them.

    Rows come from the rows' own ``warp`` records (frame orders for ``warped``, corruptions for
    ``implicit``), so the picture shows exactly what made the rejected answers. Returns ``None`` when no
    video of the pairs can be pictured (e.g. an ``explicit`` build, whose warps act on captions).
    """
    from .corrupt import CORRUPTIONS, apply_corruption
    from .video import VideoDecodeError, decode_frames
    from .visualize import frame_strip
    from .warps import WarpResult

    dataset, _ = _load_pairs(pairs)
    columns = dataset.column_names
    ids = (
        [str(v) for v in dataset["video_id"]]
        if "video_id" in columns
        else [str(k) for k in range(len(dataset))]
    )
    warps = dataset["warp"] if "warp" in columns else [None] * len(dataset)
    first_row: dict[str, int] = {}
    drawable: dict[str, dict[str, dict[str, Any]]] = {}
    for k, (video_id, warp) in enumerate(zip(ids, warps)):
        first_row.setdefault(video_id, k)
        record = _warp_record(warp)
        if record.get("indices") or record.get("name") in CORRUPTIONS:
            key = json.dumps({f: record.get(f) for f in ("name", "params", "indices")}, sort_keys=True)
            drawable.setdefault(video_id, {}).setdefault(key, record)
    # The video with the most distinct warps makes the most telling picture.
    for video_id in sorted(drawable, key=lambda v: -len(drawable[v])):
        row = dataset[first_row[video_id]]
        if not row.get("frame_indices"):
            continue
        try:
            frames = decode_frames(row["video"], row["frame_indices"])
        except (VideoDecodeError, IndexError) as exc:
            logger.info("cannot picture video %s: %s", video_id, exc)
            continue
        strip_rows = [("original", frames.data, [str(i) for i in frames.indices])]
        for record in list(drawable[video_id].values())[:_MAX_PICTURE_ROWS]:
            label = record["name"]
            if record.get("indices"):
                result = WarpResult.from_dict(record)
                if result.params:
                    label += "\n" + ", ".join(f"{k}={v}" for k, v in sorted(result.params.items()))
                strip_rows.append((label, frames.take(result.indices), [str(i) for i in result.indices]))
            else:
                corrupted = apply_corruption(record["name"], frames.data, seed=int(record.get("seed", 0)))
                strip_rows.append((label, corrupted.frames, [str(i) for i in frames.indices]))
        return frame_strip(strip_rows, thumb_height=thumb_height)
    return None


def render_dataset_card(
    pairs: datasets.Dataset | str | os.PathLike,
    *,
    repo_id: str,
    license: str | None = None,
    pretty_name: str | None = None,
    example_image: str | None = EXAMPLE_IMAGE,
    num_bytes: int | None = None,
) -> DatasetCard:
    """The dataset card of a pairs dataset (``hub_cards/dataset_card.md``), from its rows and build summary.

    ``license`` defaults to the base data's (:func:`base_license`), else ``unknown`` with a note telling
    the publisher to set it: the videos are the base data's, so its terms carry over.
    """
    dataset, summary = _load_pairs(pairs)
    return _render_dataset_card(
        dataset,
        summary,
        repo_id=repo_id,
        license=license,
        pretty_name=pretty_name,
        example_image=example_image,
        num_bytes=num_bytes,
    )


def _render_dataset_card(
    dataset: datasets.Dataset,
    summary: Mapping[str, Any],
    *,
    repo_id: str,
    license: str | None,
    pretty_name: str | None,
    example_image: str | None,
    num_bytes: int | None,
) -> DatasetCard:
    config = summary.get("config", {})
    base = config.get("base")
    source_name, source_link, source_id = _describe_base(base)
    inherited = base_license(base)
    chosen_license = license or inherited or "unknown"
    if license:
        license_note = f"The publisher set the license to `{license}`."
    elif inherited:
        license_note = f"The license `{inherited}` is inherited from the base data's card."
    else:
        license_note = (
            "The base data's license could not be determined: check it, and set this card's `license` "
            "(`timewarp push dataset --license ...`) before sharing."
        )
    counts = _pair_counts(dataset)
    recipes = sorted({recipe for recipe, _ in counts}) or [config.get("recipe", "unknown")]
    recipe = recipes[0] if len(recipes) == 1 else ", ".join(recipes)
    generators = (
        sorted({scrub_local_paths(g) for g in dataset["generator"]})
        if "generator" in dataset.column_names
        else []
    )
    video_ids = set(dataset["video_id"]) if "video_id" in dataset.column_names else set()
    settings = [("base data", f"[{source_name}]({source_link})" if source_link else source_name)]
    if config.get("recipe") == "warped" or "warped" in recipes:
        settings.append(("warps", ", ".join(f"`{w}`" for w in config.get("warps", [])) or "-"))
    if "implicit" in recipes:
        settings.append(
            ("rejections", ", ".join(f"`{w}`" for w in config.get("implicit_rejections", [])) or "-")
        )
    if "explicit" in recipes:
        settings.append(("questions per video", config.get("num_questions", "-")))
    if config.get("fps"):
        settings.append(("frames", f"{config['fps']:g} per second"))
    else:
        settings.append(("frames per video", config.get("num_frames", "-")))
    settings.append(("max chosen/rejected similarity", config.get("max_similarity", "-")))
    settings.append(("seed", config.get("seed", "-")))
    drop_table = [
        (stage, reason, count)
        for stage, key in (
            ("video skipped", "skipped"),
            ("pair filtered", "filtered"),
            ("warp not applicable", "warp_skipped"),
        )
        for reason, count in sorted(summary.get(key, {}).items())
    ]
    roles = []
    for key, role in (
        ("captioner", "Video-LLM (answers, captions)"),
        ("generator", "text LLM (explicit QA)"),
    ):
        if config.get(key):
            roles.append((role, scrub_local_paths(str(config[key]))))
    roles += [("recorded in the rows", g) for g in generators]
    card_data = DatasetCardData(
        license=chosen_license,
        language=["en"],
        task_categories=[TASK_CATEGORY],
        tags=[*DATASET_TAGS, "synthetic", "video"],
        size_categories=[_size_category(len(dataset))],
        source_datasets=[source_id] if source_id else None,
        pretty_name=pretty_name or f"TimeWarp preference pairs ({recipe})",
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
    )
    splits = datasets.SplitDict()
    splits.add(datasets.SplitInfo("train", num_bytes=num_bytes or 0, num_examples=len(dataset)))
    features = dataset.features.copy()
    features["video"] = datasets.Video()
    info = datasets.DatasetInfo(features=features, splits=splits, dataset_size=num_bytes)
    datasets.info.DatasetInfosDict({"default": info}).to_dataset_card_data(card_data)
    picture_caption = (
        "One video of this dataset: the frames the chosen answer was generated from (top row, source frame "
        "numbers underneath), then the warped or corrupted views that produced rejected answers."
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(_template("dataset_card.md")),
        pretty_name=card_data.pretty_name,
        package_version=__version__,
        num_pairs=len(dataset),
        num_videos=len(video_ids) or summary.get("videos_seen", 0),
        source_name=source_name,
        source_link=source_link,
        recipe=recipe,
        recipe_description="\n\n".join(_RECIPES.get(r, f"`{r}`") for r in recipes),
        settings=settings,
        pairs_table=[(r, w, c) for (r, w), c in sorted(counts.items())],
        drop_table=drop_table,
        videos_seen=summary.get("videos_seen", len(video_ids)),
        generators=roles,
        prompt_version=", ".join(_prompt_versions(generators)),
        example_image=example_image,
        example_caption=picture_caption,
        num_frames=config.get("num_frames"),
        repo_id=repo_id,
        license_note=license_note,
        citation=CITATION,
    )


def validate_dataset_card(card: DatasetCard) -> None:
    """Fail with a clear message when a dataset card lacks what the Hub and users need.

    Checks the card round-trips through the Hub's parser and carries a license, the task category, the
    TimeWarp tags and a ``configs`` entry pointing at the data files (so ``load_dataset(repo)`` works).
    """
    data = DatasetCard(str(card)).data.to_dict()
    problems = []
    if not data.get("license"):
        problems.append("no license")
    if TASK_CATEGORY not in (data.get("task_categories") or []):
        problems.append(f"task_categories lacks {TASK_CATEGORY}")
    missing = set(DATASET_TAGS) - set(data.get("tags") or [])
    if missing:
        problems.append(f"tags lack {sorted(missing)}")
    configs = data.get("configs") or []
    if not any(c.get("data_files") for c in configs):
        problems.append("no configs/data_files entry")
    if problems:
        raise ValueError("invalid dataset card metadata: " + "; ".join(problems))


def export_dataset(
    pairs: datasets.Dataset | str | os.PathLike,
    folder: str | os.PathLike,
    *,
    repo_id: str,
    license: str | None = None,
    pretty_name: str | None = None,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
) -> Path:
    """Write the dataset repo as it would be uploaded: Parquet shards with the videos embedded, the card,
    the example picture and the build summary, every local path reduced to its last component.

    ``folder`` must be empty or absent. Returns it.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets.table import embed_table_storage

    out = _fresh_folder(folder)
    dataset, summary = _load_pairs(pairs)
    (out / "data").mkdir()
    num_shards = max(1, min(len(dataset), math.ceil(_embedded_size(dataset) / max_shard_bytes)))
    features = dataset.features.copy()
    features["video"] = datasets.Video()  # what users of the repo get from load_dataset: decodable videos
    schema = features.arrow_schema
    written = 0
    for k in range(num_shards):
        shard = dataset.shard(num_shards, k, contiguous=True)
        table = embed_table_storage(shard.with_format("arrow")[:])
        for column in ("source", "generator"):
            if column in table.column_names:
                scrubbed = pa.array(
                    [None if v is None else scrub_local_paths(v) for v in table[column].to_pylist()],
                    pa.string(),
                )
                table = table.set_column(table.column_names.index(column), column, scrubbed)
        path = out / "data" / f"train-{k:05d}-of-{num_shards:05d}.parquet"
        pq.write_table(table.cast(schema), path)
        written += path.stat().st_size
    picture = example_picture(dataset)
    if picture is not None:
        (out / "images").mkdir()
        picture.save(out / EXAMPLE_IMAGE)
    public_summary = json.loads(scrub_local_paths(json.dumps(summary))) if summary else {}
    (out / SUMMARY_FILE).write_text(json.dumps(public_summary, indent=2) + "\n")
    card = _render_dataset_card(
        dataset,
        summary,
        repo_id=repo_id,
        license=license,
        pretty_name=pretty_name,
        example_image=EXAMPLE_IMAGE if picture is not None else None,
        num_bytes=written,
    )
    validate_dataset_card(card)
    card.save(out / "README.md")
    return out


def _embedded_size(dataset: datasets.Dataset) -> int:
    """The table's size once videos stored as local paths are embedded as bytes (to size the shards)."""
    import pyarrow.compute as pc

    video = dataset.data.column("video")
    by_path = pc.struct_field(video, "path").filter(pc.is_null(pc.struct_field(video, "bytes")))
    return dataset.data.nbytes + sum(
        os.path.getsize(p) for p in by_path.to_pylist() if p and os.path.isfile(p)
    )


# --------------------------------------------------------------------------------------------- model
def eval_results_from_dict(
    results: Mapping[str, Mapping[str, float]], *, task_type: str = TASK_CATEGORY
) -> list[EvalResult]:
    """``{benchmark: {metric: value}}`` (what ``timewarp eval`` reports) as ``EvalResult`` entries.

    Known benchmarks get their Hub dataset id as ``dataset.type`` so the Hub links them; others keep
    their name. Values must be numbers.
    """
    entries = []
    for benchmark, metrics in results.items():
        if not isinstance(metrics, Mapping) or not metrics:
            raise ValueError(f"eval results for {benchmark!r} must be a non-empty {{metric: value}} mapping")
        dataset_type = _benchmark_dataset(benchmark)
        for metric, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"eval result {benchmark}/{metric} must be a number, got {value!r}")
            entries.append(
                EvalResult(
                    task_type=task_type,
                    dataset_type=dataset_type,
                    dataset_name=benchmark,
                    metric_type=metric,
                    metric_value=value,
                )
            )
    return entries


def _table_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(f"`{v}`" for v in value)
    return scrub_local_paths(str(value))


def render_model_card(
    *,
    model_name: str,
    base_model: str,
    repo_id: str | None = None,
    dataset: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    training_data: Mapping[str, Any] | None = None,
    num_frames: int = 8,
    license: str | None = None,
    adapter: bool = False,
) -> ModelCard:
    """A complete TimeWarp model card (``hub_cards/model_card.md``): base model, dataset, recipe,
    hyperparameters, evaluation as ``model-index``, intended use and limits.

    For a model trained with ``TimeWarpDPOTrainer``, prefer :func:`update_model_card` on the card TRL
    wrote: it adds the evaluation and use sections without duplicating the training ones.
    """
    base_id = base_model if _is_hub_id(base_model) else None
    dataset_id = dataset if dataset and _is_hub_id(dataset) else None
    card_data = ModelCardData(
        model_name=model_name,
        base_model=base_id,
        datasets=[dataset_id] if dataset_id else None,
        library_name="peft" if adapter else "transformers",
        license=license,
        pipeline_tag=TASK_CATEGORY,
        tags=list(MODEL_TAGS),
        eval_results=eval_results_from_dict(eval_results) if eval_results else None,
    )
    data_rows = [("base model", f"`{scrub_local_paths(base_model)}`")]
    if dataset:
        data_rows.append(
            (
                "dataset",
                f"[{dataset}](https://huggingface.co/datasets/{dataset})"
                if dataset_id
                else f"`{scrub_local_paths(dataset)}`",
            )
        )
    data_rows += [(name, _table_value(value)) for name, value in (training_data or {}).items()]
    eval_rows = [
        (benchmark, metric, f"{value:.4g}")
        for benchmark, metrics in (eval_results or {}).items()
        for metric, value in metrics.items()
    ]
    return ModelCard.from_template(
        card_data,
        template_path=str(_template("model_card.md")),
        model_name=model_name,
        base_model=scrub_local_paths(base_model),
        base_model_link=f"https://huggingface.co/{base_id}" if base_id else None,
        dataset=scrub_local_paths(dataset) if dataset else None,
        dataset_link=f"https://huggingface.co/datasets/{dataset_id}" if dataset_id else None,
        repo_id=repo_id or model_name,
        package_version=__version__,
        num_frames=num_frames,
        adapter=adapter,
        data_rows=data_rows,
        hyperparameters=[(name, _table_value(value)) for name, value in (hyperparameters or {}).items()],
        eval_rows=eval_rows,
        license=license,
        citation=CITATION,
    )


_SECTION = re.compile(r"<!-- timewarp-hf:begin -->.*?<!-- timewarp-hf:end -->\n?", re.S)


def model_card_section(
    *,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    num_frames: int = 8,
    license: str | None = None,
) -> str:
    """The Evaluation, Intended use and Limitations sections of ``hub_cards/model_card.md``, between
    ``<!-- timewarp-hf:begin/end -->`` markers, for a card another tool wrote (TRL's)."""
    card = render_model_card(
        model_name="model",
        base_model="base",
        eval_results=eval_results,
        num_frames=num_frames,
        license=license,
    )
    return _SECTION.search(card.text).group(0)


def update_model_card(
    card: ModelCard | str | os.PathLike,
    *,
    base_model: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    dataset: str | None = None,
    license: str | None = None,
    num_frames: int = 8,
) -> ModelCard:
    """Complete a model card another tool wrote (``TimeWarpDPOTrainer``'s, via TRL) instead of writing a
    second one: TimeWarp tags and pipeline tag, the base model and dataset, ``model-index`` from
    ``eval_results``, and the sections of :func:`model_card_section` (replacing an earlier copy, so it
    can run again after each evaluation).
    """
    if not isinstance(card, ModelCard):
        card = ModelCard.load(Path(card))
    data = card.data
    if data.get("licence") == "license":  # TRL's template writes this placeholder key
        data.pop("licence")
    if data.base_model and not all(_is_hub_id(str(b)) for b in _as_list(data.base_model)):
        data.base_model = None  # a local folder means nothing on the Hub (and the Hub rejects it)
    local_base = [
        t for t in data.tags or [] if t.startswith("base_model:") and not _is_hub_id(t.rsplit(":", 1)[-1])
    ]
    data.tags = sorted((set(data.tags or []) - set(local_base)) | set(MODEL_TAGS))
    data.pipeline_tag = data.pipeline_tag or TASK_CATEGORY
    if license:
        data.license = license
    if base_model and _is_hub_id(base_model) and not data.base_model:
        data.base_model = base_model  # TRL leaves it out when training started from a local folder
    if dataset and _is_hub_id(dataset):
        known = data.datasets if isinstance(data.datasets, list) else [data.datasets] if data.datasets else []
        data.datasets = sorted(set(known) | {dataset})
    if eval_results:
        data.model_name = data.model_name or "model"
        data.eval_results = eval_results_from_dict(eval_results)
    section = model_card_section(
        eval_results=eval_results, num_frames=num_frames, license=license or data.license
    )
    text = _SECTION.sub("", card.text)
    anchor = text.find("\n## Citations")
    text = f"{text.rstrip()}\n\n{section}" if anchor < 0 else f"{text[:anchor]}\n{section}{text[anchor:]}"
    card.text = text
    return card


def validate_model_card(card: ModelCard) -> None:
    """Fail with a clear message when a model card's metadata is unusable: it must round-trip through
    the Hub's parser (which checks ``model-index``), name a pipeline tag and carry the TimeWarp tag; each
    ``model-index`` result needs a task type, a dataset and metrics with numeric values."""
    parsed = ModelCard(str(card))
    data = parsed.data.to_dict()
    problems = []
    if "timewarp" not in (data.get("tags") or []):
        problems.append("tags lack timewarp")
    if not data.get("pipeline_tag"):
        problems.append("no pipeline_tag")
    for entry in data.get("model-index") or []:
        if not entry.get("name"):
            problems.append("model-index entry without name")
        for result in entry.get("results") or []:
            if not result.get("task", {}).get("type") or not result.get("dataset", {}).get("type"):
                problems.append("model-index result without task or dataset type")
            for metric in result.get("metrics") or []:
                if not isinstance(metric.get("value"), (int, float)):
                    problems.append(f"model-index metric {metric.get('type')} has no numeric value")
    if problems:
        raise ValueError("invalid model card metadata: " + "; ".join(problems))


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def stage_model(
    model_dir: str | os.PathLike,
    folder: str | os.PathLike,
    *,
    repo_id: str,
    base_model: str | None = None,
    dataset: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    license: str | None = None,
) -> Path:
    """Write the model repo as it would be uploaded from a trainer's output folder.

    Files are hard-linked (weights are not copied); checkpoints, ``runs/``, ``_*`` and the pickled training
    arguments are left out. JSON fields that name a local folder (``base_model_name_or_path``, ...) are
    rewritten to ``base_model`` or the folder's name. The card is the trainer's ``README.md`` completed by
    :func:`update_model_card`, or, when there is none, a full :func:`render_model_card` filled from
    ``adapter_config.json`` and ``trainer_state.json``.
    """
    source = Path(model_dir)
    if not source.is_dir():
        raise FileNotFoundError(f"model folder {source} does not exist")
    if not any((source / name).is_file() for name in ("config.json", "adapter_config.json")):
        raise ValueError(
            f"model_dir {source} holds no config.json or adapter_config.json: pass the trainer's "
            "output_dir or a save_pretrained folder"
        )
    if Path(folder).resolve().is_relative_to(source.resolve()):
        raise ValueError(f"the staging folder {folder} lies inside model_dir {source}: stage elsewhere")
    out = _fresh_folder(folder)
    ignored = shutil.ignore_patterns(*_MODEL_IGNORE)
    adapter = _read_json(source / "adapter_config.json")
    config = _read_json(source / "config.json")
    trainer_card = ModelCard.load(source / "README.md") if (source / "README.md").is_file() else None
    recorded_base = adapter.get("base_model_name_or_path") or config.get("_name_or_path") or ""
    base = (
        base_model
        or (trainer_card.data.base_model if trainer_card is not None else None)
        or (recorded_base if _is_hub_id(recorded_base) else scrub_local_paths(recorded_base) or "unknown")
    )

    def public(value: str) -> str:
        if not os.path.isabs(value):
            return value
        return base if value == recorded_base else scrub_local_paths(value)

    def copy(src: str, dst: str) -> None:
        name = Path(src).name
        if name.endswith(".json") and name not in _VOCAB_FILES:
            original = json.loads(Path(src).read_text())
            public_copy = _sub_paths(original, public)
            if public_copy != original:
                Path(dst).write_text(json.dumps(public_copy, indent=2) + "\n")
                return
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, out, ignore=ignored, copy_function=copy, dirs_exist_ok=True)
    readme = out / "README.md"
    if trainer_card is not None:
        card = update_model_card(
            trainer_card, base_model=base, eval_results=eval_results, dataset=dataset, license=license
        )
        readme.unlink()  # a hard link to the trainer's card: write a new file, leave the original alone
    else:
        state = _read_json(source / "trainer_state.json")
        hyperparameters: dict[str, Any] = {}
        for key in ("num_train_epochs", "train_batch_size", "global_step"):
            if key in state:
                hyperparameters[key.replace("_", " ")] = state[key]
        rates = [entry["learning_rate"] for entry in state.get("log_history", []) if "learning_rate" in entry]
        if rates:
            hyperparameters["peak learning rate"] = max(rates)
        for key in ("peft_type", "r", "lora_alpha", "lora_dropout", "target_modules"):
            if key in adapter:
                hyperparameters[f"LoRA {key}" if key != "peft_type" else "adapter"] = adapter[key]
        card = render_model_card(
            model_name=repo_id.split("/")[-1],
            base_model=base,
            repo_id=repo_id,
            dataset=dataset,
            eval_results=eval_results,
            hyperparameters=hyperparameters,
            license=license,
            adapter=bool(adapter),
        )
    validate_model_card(card)
    card.save(readme)
    return out


# --------------------------------------------------------------------------------------------- space
def stage_space(
    folder: str | os.PathLike,
    *,
    base_model: str | None = None,
    timewarp_model: str | None = None,
    dataset: str | None = None,
) -> Path:
    """Write the Space repo as it would be uploaded: ``hub_cards/space/`` (app, requirements, packages),
    its README front matter completed through :class:`~huggingface_hub.SpaceCard` (models, dataset, the
    installed Gradio as ``sdk_version``), the models to load, and a copy of the ``timewarp_hf`` package
    (the Space imports it; it is not on PyPI).

    Without models the Space runs tiny random stand-ins, made at start-up.
    """
    from .demo import SPACE_CONFIG_FILE

    if (base_model is None) != (timewarp_model is None):
        raise ValueError("give both base_model and timewarp_model, or neither (tiny stand-ins)")
    out = _fresh_folder(folder)
    for name in ("app.py", "requirements.txt", "packages.txt"):
        shutil.copy2(_template(f"space/{name}"), out / name)
    card = SpaceCard.load(_template("space/README.md"))
    try:
        import gradio

        card.data.sdk_version = gradio.__version__
    except ImportError:
        logger.info(
            "gradio is not installed: keeping sdk_version %s from the template", card.data.sdk_version
        )
    if base_model:
        card.data.models = [m for m in (base_model, timewarp_model) if _is_hub_id(m)] or None
        (out / SPACE_CONFIG_FILE).write_text(
            json.dumps({"base_model": base_model, "timewarp_model": timewarp_model}, indent=2) + "\n"
        )
    if dataset and _is_hub_id(dataset):
        card.data.datasets = [dataset]
    card.save(out / "README.md")
    package = Path(__file__).resolve().parent
    shutil.copytree(
        package, out / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so")
    )
    return out


# --------------------------------------------------------------------------------------------- push
def _fresh_folder(folder: str | os.PathLike) -> Path:
    out = Path(folder)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: stage into a new folder so it holds exactly what goes up")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def find_leaks(
    folder: str | os.PathLike, *, secrets: Sequence[str] = (), local_paths: Sequence[str | os.PathLike] = ()
) -> list[str]:
    """``"file: what"`` for every staged file holding a secret or one of ``local_paths``.

    Parquet files are read cell by cell (their pages are compressed, so a byte search would miss a path);
    other files byte by byte, up to weight-sized files, which we never write into.
    """
    import pyarrow.parquet as pq

    needles = [(s, "the Hub token") for s in secrets if s] + [
        (str(p), f"local path {p}") for p in local_paths if str(p) not in ("", "/")
    ]
    found = []
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if path.suffix == ".parquet":
            texts = (
                s
                for batch in pq.ParquetFile(path).iter_batches(batch_size=256)
                for row in batch.to_pylist()
                for s in _strings(row)
            )
            hits = {what for text in texts for needle, what in needles if needle in text}
        elif path.stat().st_size <= _MAX_SCANNED_BYTES:
            content = path.read_bytes()
            hits = {what for needle, what in needles if needle.encode() in content}
        else:
            continue
        found += [f"{name}: {what}" for what in sorted(hits)]
    return found


def _local_roots(*extra: str | os.PathLike | None) -> list[str]:
    """Folders whose path must not appear in an upload: the sources, the working and home directories
    (only when they are specific enough, i.e. not ``/`` or a top-level folder like ``/root``)."""
    roots = {Path(p).resolve() for p in extra if p} | {Path.cwd(), Path.home()}
    return sorted(str(p) for p in roots if len(p.parts) > 2)


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    repo_type: str,
    commit_message: str,
    private: bool | None = None,
    local_paths: Sequence[str | os.PathLike] = (),
    api: HfApi | None = None,
) -> CommitInfo:
    """Create the repo if needed and upload ``folder`` as one commit.

    The token comes from ``huggingface_hub`` (``HF_TOKEN`` or ``hf auth login``); :class:`HubAuthError` when
    there is none. :class:`HubLeakError`, before any request, when a file holds the token or one of
    ``local_paths`` (plus the working and home directories).
    """
    api = api or HfApi()
    token = api.token or get_token()
    if not token:
        raise HubAuthError(
            "no Hugging Face token: run `hf auth login`, or set the HF_TOKEN environment variable"
        )
    leaks = find_leaks(folder, secrets=[token], local_paths=_local_roots(*local_paths))
    if leaks:
        raise HubLeakError(
            "refusing to upload; these files leak secrets or local paths:\n" + "\n".join(leaks)
        )
    api.create_repo(
        repo_id,
        repo_type=repo_type,
        private=private,
        exist_ok=True,
        space_sdk="gradio" if repo_type == "space" else None,
    )
    return api.upload_folder(
        repo_id=repo_id, folder_path=str(folder), repo_type=repo_type, commit_message=commit_message
    )


def _stage(target: str, folder: Path, repo_id: str, options: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Stage ``target`` into ``folder``; return the default commit message and the local sources (folders
    whose paths must not leak)."""
    if not _is_hub_id(repo_id) or len(repo_id) > 96:
        raise ValueError(
            f"repo_id {repo_id!r} is not a Hub repo id: use 'user-or-org/name' "
            "(letters, digits, '-', '_', '.')"
        )
    if target == "dataset":
        pairs = options["pairs"]
        export_dataset(pairs, folder, repo_id=repo_id, license=options.get("license"))
        message = f"Upload {_count_rows(folder):,} TimeWarp preference pairs (timewarp-hf {__version__})"
        return message, [] if isinstance(pairs, datasets.Dataset) else [pairs]
    if target == "model":
        stage_model(
            options["model_dir"],
            folder,
            repo_id=repo_id,
            base_model=options.get("base_model"),
            dataset=options.get("dataset"),
            eval_results=options.get("eval_results"),
            license=options.get("license"),
        )
        return f"Upload TimeWarp DPO model (timewarp-hf {__version__})", [options["model_dir"]]
    if target == "space":
        stage_space(
            folder,
            base_model=options.get("base_model"),
            timewarp_model=options.get("timewarp_model"),
            dataset=options.get("dataset"),
        )
        return f"Upload the TimeWarp demo Space (timewarp-hf {__version__})", []
    raise ValueError(f"unknown push target {target!r}; accepted: dataset, model, space")


def _push(
    target: str,
    repo_id: str,
    options: Mapping[str, Any],
    *,
    private: bool | None,
    commit_message: str | None,
    api: HfApi | None,
) -> CommitInfo:
    with tempfile.TemporaryDirectory(prefix="timewarp-push-") as tmp:
        folder = Path(tmp) / "repo"
        message, sources = _stage(target, folder, repo_id, options)
        return push_folder(
            folder,
            repo_id,
            repo_type=target,
            commit_message=commit_message or message,
            private=private,
            local_paths=sources,
            api=api,
        )


def _count_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in (folder / "data").glob("*.parquet"))


def push_dataset(
    pairs: datasets.Dataset | str | os.PathLike,
    repo_id: str,
    *,
    license: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Export the pairs (:func:`export_dataset`) and upload them with their card, picture and summary: the
    push path for ``timewarp build --push-to-hub`` and ``timewarp push dataset``."""
    options = {"pairs": pairs, "license": license}
    return _push("dataset", repo_id, options, private=private, commit_message=commit_message, api=api)


def push_model(
    model_dir: str | os.PathLike,
    repo_id: str,
    *,
    base_model: str | None = None,
    dataset: str | None = None,
    eval_results: Mapping[str, Mapping[str, float]] | None = None,
    license: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Stage a trained model (:func:`stage_model`) and upload it."""
    options = {
        "model_dir": model_dir,
        "base_model": base_model,
        "dataset": dataset,
        "eval_results": eval_results,
        "license": license,
    }
    return _push("model", repo_id, options, private=private, commit_message=commit_message, api=api)


def push_space(
    repo_id: str,
    *,
    base_model: str | None = None,
    timewarp_model: str | None = None,
    dataset: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> CommitInfo:
    """Stage the demo Space (:func:`stage_space`) and upload it as a Gradio Space."""
    options = {"base_model": base_model, "timewarp_model": timewarp_model, "dataset": dataset}
    return _push("space", repo_id, options, private=private, commit_message=commit_message, api=api)


# --------------------------------------------------------------------------------------------- CLI
def configure_push(parser: argparse.ArgumentParser) -> None:
    """``timewarp push dataset|model|space``: arguments of each target."""
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
        "--base-model", default=None, help="Hub id of the base Video-LLM (default: tiny stand-ins)"
    )
    p.add_argument("--timewarp-model", default=None, help="Hub id of the TimeWarp-trained model")
    p.add_argument("--dataset", default=None, help="Hub id of the TimeWarp pairs, linked from the Space")
    common(p)


def run_push(args: argparse.Namespace) -> int:
    """Stage the target into ``--dry-run DIR`` and stop, or into a temporary folder and upload it."""
    options = {
        k: v
        for k, v in vars(args).items()
        if k in ("pairs", "model_dir", "base_model", "timewarp_model", "dataset", "license")
    }
    if getattr(args, "eval_results", None):
        options["eval_results"] = json.loads(Path(args.eval_results).read_text())
    if args.dry_run:
        folder = Path(args.dry_run)
        message, sources = _stage(args.target, folder, args.repo_id, options)
        leaks = find_leaks(folder, secrets=[get_token() or ""], local_paths=_local_roots(*sources))
        report = {
            "dry_run": str(folder),
            "repo_id": args.repo_id,
            "repo_type": args.target,
            "commit_message": args.commit_message or message,
            "files": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
            "leaks": leaks,
        }
        print(json.dumps(report, indent=2))
        return 1 if leaks else 0
    commit = _push(
        args.target, args.repo_id, options, private=args.private, commit_message=args.commit_message, api=None
    )
    print(json.dumps({"repo_id": args.repo_id, "repo_type": args.target, "commit": commit.commit_url}))
    return 0
