"""The dataset side of the Hub: a pairs dataset's card (``hub_cards/dataset_card.md``) rendered from its rows
and build summary, its example picture (an original and its warps), and the export of the repo as it would
be uploaded (Parquet shards with the videos embedded, card, picture, summary).

Cards go through ``huggingface_hub``'s card API, so the YAML metadata is written and parsed by the code the
Hub uses, and validated before anything leaves.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets
from huggingface_hub import DatasetCard, DatasetCardData

from .. import __version__
from ..constants import CITATION
from ..prompts import PROMPT_VERSION
from ..timewarp import SUMMARY_FILE
from ..warps import warp_record
from .common import DATASET_TAGS, EXAMPLE_IMAGE, TASK_CATEGORY, card_template_text, fresh_folder, is_hub_id
from .privacy import scrub_local_paths

__all__ = [
    "DEFAULT_MAX_SHARD_BYTES",
    "base_license",
    "example_picture",
    "export_dataset",
    "render_dataset_card",
    "validate_dataset_card",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_SHARD_BYTES = 500 * 1024**2
# Rows of the example picture: enough to see what the warps do, few enough to stay readable on a card.
_MAX_PICTURE_ROWS = 6

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


def _size_category(n: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < bound:
            return label
    return "100K<n<1M" if n < 1_000_000 else "1M<n<10M"


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
    if not os.path.isabs(base) and is_hub_id(hub_id):
        return hub_id, f"https://huggingface.co/datasets/{hub_id}", hub_id
    return f"local videos (`{scrub_local_paths(base) if os.path.isabs(base) else base}`)", None, None


def _pair_counts(dataset: datasets.Dataset) -> Counter:
    counts: Counter = Counter()
    recipes = dataset["recipe"] if "recipe" in dataset.column_names else ["unknown"] * len(dataset)
    warps = dataset["warp"] if "warp" in dataset.column_names else [None] * len(dataset)
    for recipe, warp in zip(recipes, warps):
        counts[(recipe, warp_record(warp).get("name", "unknown") if warp else "none")] += 1
    return counts


def _pair_statistics(dataset: datasets.Dataset) -> list[tuple[str, str]]:
    """Rows for the pair types and the difficulty spread (``1 -`` warp magnitude), where recorded."""
    rows = []
    if "pair_type" in dataset.column_names:
        kinds = Counter(k for k in dataset["pair_type"] if k)
        rows.append(("pair types", ", ".join(f"`{k}` ({n:,})" for k, n in sorted(kinds.items()))))
    if "difficulty" in dataset.column_names:
        values = [float(v) for v in dataset["difficulty"] if v is not None]
        if values:
            mean = sum(values) / len(values)
            rows.append(("difficulty (mean, min-max)", f"{mean:.2f}, {min(values):.2f}-{max(values):.2f}"))
    return rows


def _prompt_versions(generators: Sequence[str]) -> list[str]:
    found = sorted({m for g in generators for m in re.findall(r"\(prompts ([^)]+)\)", g)})
    return found or [PROMPT_VERSION]


def example_picture(pairs: datasets.Dataset | str | os.PathLike, *, thumb_height: int = 64):
    """A PNG-ready strip of one video of the pairs: the frames the answers saw, then each warp of them.

    Rows come from the rows' own ``warp`` records (frame orders for ``warped``, corruptions for
    ``implicit``), so the picture shows exactly what made the rejected answers. Returns ``None`` when no
    video of the pairs can be pictured (e.g. an ``explicit`` build, whose warps act on captions).
    """
    from ..corrupt import CORRUPTIONS, apply_corruption
    from ..video import VideoDecodeError, decode_frames
    from ..visualize import frame_strip
    from ..warps import WarpResult

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
        record = warp_record(warp)
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
    settings.extend(_pair_statistics(dataset))
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
    if summary.get("not_in_metadata"):
        drop_table.append(("video left out", "not in the metadata file", summary["not_in_metadata"]))
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
        template_str=card_template_text("dataset_card.md"),
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

    out = fresh_folder(folder)
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
