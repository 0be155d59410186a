"""TimeWarp video DPO on TRL: :class:`TimeWarpDPOConfig` and :class:`TimeWarpDPOTrainer`.

TRL 1.16's ``DPOTrainer`` computes the loss generically (every collator key goes to ``model(**batch)``, the
batch is ``[chosen; rejected]``), so video needs no new loss code, only the plumbing TRL has for images:
keep the video columns, skip the text-only tokenisation of video rows, and collate with
:class:`~timewarp_hf.collator.VideoPreferenceCollator`. This module adds that plumbing and nothing of the
loss, so every DPO variant TRL has (``loss_type``, ``ld_alpha``, f-divergences, ...) works on video.

It also carries the TimeWarp recipe's defaults (sigmoid DPO, beta 0.1, lr 5e-7, 3 epochs, 10 % warm-up,
8 frames, LoRA r128/alpha256 on the language model with the vision tower and projector frozen), fails
fast when the processor does not belong to the model, and writes a model card that says which TimeWarp
data the model was trained on.
"""

from __future__ import annotations

import logging
import re
import textwrap
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import gather_object, is_peft_model
from datasets import Dataset, Video
from huggingface_hub import ModelCard
from peft import LoraConfig
from torch import nn
from transformers import AutoProcessor, PreTrainedModel, ProcessorMixin, Trainer
from trl import DPOTrainer
from trl.trainer.utils import get_config_model_id

from .collator import SKIPPED_VIDEOS_KEY, VIDEO_COLUMNS, VideoPreferenceCollator
from .constants import CITATION
from .dpo_config import TimeWarpDPOConfig
from .hub.model_card import update_model_card
from .hub.privacy import scrub_local_paths
from .sampling import GroupedSampler, curriculum_sampler
from .warps import warp_record

logger = logging.getLogger(__name__)

__all__ = [
    "TimeWarpDPOConfig",
    "TimeWarpDPOTrainer",
    "check_processor_matches_model",
    "default_lora_config",
]

# Row columns the collator reads besides prompt/chosen/rejected; everything else (recipe, warp, source,
# generator, seed, fps: provenance) is dropped before collation by `remove_unused_columns`.
_COLLATED_COLUMNS = (*VIDEO_COLUMNS, "frame_indices", "rejected_frame_indices", "video_id")
_VIDEO_TOKEN_MISMATCH = "Video features and video tokens do not match"


# The config fields the trainer hands to the collator it builds (same names on both sides).
_COLLATOR_FIELDS = (
    "num_frames",
    "fps",
    "max_frames",
    "max_pixels",
    "use_frame_indices",
    "folder_fps",
    "max_length",
    "on_decode_error",
    "shuffle_frames",
    "seed",
)

def default_lora_config(
    model: PreTrainedModel, *, r: int = 128, lora_alpha: int = 256, lora_dropout: float = 0.05
) -> LoraConfig:
    """TimeWarp's LoRA: rank 128, alpha 256, dropout 0.05 on every linear layer of the language model.

    The vision tower, the projector and the LM head get no adapter, so with the base weights frozen by PEFT
    they stay fixed, as in the original training. The targets are found from the model's own decoder
    (``model.get_decoder()``), so the same call works for Qwen-VL, LLaVA-OneVision, SmolVLM, ...; the
    config stores them as one regular expression, not a list of hundreds of module names. Note that TRL's
    ``disable_dropout=True`` (the default) also zeroes the adapter's dropout; pass
    ``disable_dropout=False`` for the original's 0.05.
    """
    decoder = model.get_decoder()
    prefix = next((name for name, module in model.named_modules() if module is decoder), None)
    if not prefix:
        raise ValueError(f"cannot locate the language model inside {type(model).__name__}")
    leaves = sorted({n.rsplit(".", 1)[-1] for n, m in decoder.named_modules() if isinstance(m, nn.Linear)})
    if not leaves:
        raise ValueError(f"the language model of {type(model).__name__} has no linear layer to adapt")
    target = rf"^{re.escape(prefix)}\..*\.({'|'.join(map(re.escape, leaves))})$"
    return LoraConfig(
        r=r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        bias="none",
        target_modules=target,
        task_type="CAUSAL_LM",
    )


def check_processor_matches_model(processor: Any, model: nn.Module) -> None:
    """Raise ``ValueError`` when ``processor`` cannot produce inputs for ``model``.

    A mismatched pair otherwise fails deep inside the first forward pass ("Video features and video tokens
    do not match", an index error in the embedding), or worse, trains on wrong placeholder ids silently.
    Compared: the tokenizer fits the embedding, the video/image placeholder ids agree, and the video
    processor's patching agrees with the vision tower's.
    """
    if not isinstance(processor, ProcessorMixin) or getattr(processor, "video_processor", None) is None:
        raise TypeError(
            f"a video dataset needs the Video-LLM's processor (AutoProcessor with a video processor); got "
            f"{type(processor).__name__}. Pass processing_class=AutoProcessor.from_pretrained(<model path>)"
        )
    config = model.config
    problems = []
    vocab, rows = len(processor.tokenizer), model.get_input_embeddings().num_embeddings
    if vocab > rows:
        problems.append(f"the tokenizer has {vocab} tokens but the model's embedding only {rows} rows")
    for attr in ("video_token_id", "image_token_id"):
        ours, theirs = getattr(processor, attr, None), getattr(config, attr, None)
        if ours is not None and theirs is not None and ours != theirs:
            problems.append(f"{attr} is {ours} in the processor but {theirs} in the model config")
    vision = getattr(config, "vision_config", None)
    for ours_attr, theirs_attr in (
        ("patch_size", "patch_size"),
        ("temporal_patch_size", "temporal_patch_size"),
        ("merge_size", "spatial_merge_size"),
    ):
        ours = getattr(processor.video_processor, ours_attr, None)
        theirs = getattr(vision, theirs_attr, None)
        if ours is not None and theirs is not None and ours != theirs:
            problems.append(f"the video processor's {ours_attr} is {ours} but the vision tower's is {theirs}")
    if problems:
        raise ValueError(
            "the processor does not match the model: "
            + "; ".join(problems)
            + ". Load both from the same checkpoint: AutoProcessor.from_pretrained(path) and "
            "AutoModelForImageTextToText.from_pretrained(path)."
        )


def _has_video(dataset: Any) -> bool:
    if dataset is None:
        return False
    if isinstance(dataset, Mapping):
        return any(_has_video(d) for d in dataset.values())
    columns = getattr(dataset, "column_names", None) or list(next(iter(dataset)).keys())
    return any(column in columns for column in VIDEO_COLUMNS)


def _undecoded(dataset: Any) -> Any:
    """Read ``datasets.Video`` columns as ``{"path", "bytes"}`` instead of opened decoders.

    With ``decode=True`` ``datasets`` opens a decoder for every row it yields; the collator would then see
    one decoder object per row and could not tell that two rows share a video. Undecoded values are keyed
    by path, so rows about the same clip in a batch share one open and one decode.
    """
    if isinstance(dataset, Mapping):
        return {name: _undecoded(d) for name, d in dataset.items()}
    features = getattr(dataset, "features", None) or {}
    feature = features.get("video")
    if isinstance(feature, Video) and feature.decode:
        dataset = dataset.cast_column("video", Video(decode=False))
    return dataset


def _summarize_pairs(dataset: Any) -> dict[str, Any]:
    """What the model card says about the training data: counts by recipe, warp, source and generator."""
    if not isinstance(dataset, Dataset):
        return {}
    columns = set(dataset.column_names)
    summary: dict[str, Any] = {"pairs": len(dataset)}
    if "video_id" in columns:
        summary["videos"] = len(set(dataset["video_id"]))
    for column in ("recipe", "pair_type", "source", "generator"):
        if column in columns:
            # a card goes to the Hub: local folders are named, never spelled out
            summary[column] = Counter(scrub_local_paths(str(v)) for v in dataset[column])
    if "warp" in columns:
        summary["warp"] = Counter(str(warp_record(v).get("name", "unknown")) for v in dataset["warp"])
    return summary


def _table_cell(text: str) -> str:
    return text.replace("|", r"\|")  # a LoRA target regex has alternations


def _counts(counter: Counter) -> str:
    return ", ".join(f"`{name}` ({count:,})" for name, count in counter.most_common())


class TimeWarpDPOTrainer(DPOTrainer):
    """TRL's ``DPOTrainer`` for video preference pairs (TimeWarp's, or any with a ``video``/``videos`` column).

    Use it exactly like ``DPOTrainer``::

        trainer = TimeWarpDPOTrainer(
            model=model,                       # AutoModelForImageTextToText
            args=TimeWarpDPOConfig(output_dir="out"),
            train_dataset=pairs,               # rows: prompt/chosen/rejected + video (+ frame_indices)
            processing_class=processor,        # AutoProcessor of the same checkpoint
            peft_config=default_lora_config(model),   # TimeWarp's LoRA; omit for full fine-tuning
        )
        trainer.train()

    With ``peft_config`` the reference is the policy with its adapter disabled: one copy of the base
    weights. Without it (full fine-tuning) TRL loads a reference copy from the model's path, or uses the
    ``ref_model`` you pass. Datasets without a video column are handled exactly as by ``DPOTrainer``.

    Rows whose video cannot be read are skipped or raise, as ``args.on_decode_error`` says; skipped rows
    (of every process) are listed in :attr:`skipped_video_ids` and counted by the ``skipped_videos``
    metric.

    Video-contrast rows (``rejected_frame_indices``, from ``pair_type="video_contrast"``) put the warped
    frames in the rejected half of the batch, usually with the chosen answer's text, so the margin is the
    answer's log-ratio under the true minus under the warped video. Margin losses (``sigmoid``, ``ipo``,
    ``hinge``, ``robust``, ``bco_pair``, ``aot``, ...) use that as intended; length normalisation
    (``sigmoid_norm``, ``ld_alpha``) changes nothing, both sides having one length; ``apo_zero`` /
    ``apo_down`` push the answer's likelihood under the warped video down; ``sft`` alone ignores the
    rejected video (it is the chosen NLL, identical for both pair types), so use it only next to a
    preference loss. ``args.curriculum="easy_to_hard"`` orders training by the ``difficulty`` column.
    """

    _tag_names = ["trl", "dpo", "timewarp", "video"]
    _name = "TimeWarp DPO"
    _paper = {
        "title": "Harnessing Synthetic Preference Data for Enhancing Temporal Understanding of Video-LLMs",
        "id": "2510.03955",
        "citation": CITATION,
    }

    def __init__(
        self,
        model: str | PreTrainedModel,
        ref_model: PreTrainedModel | None = None,
        args: TimeWarpDPOConfig | None = None,
        data_collator: Any = None,
        train_dataset: Any = None,
        eval_dataset: Any = None,
        processing_class: Any = None,
        compute_metrics: Any = None,
        callbacks: list | None = None,
        optimizers: tuple = (None, None),
        quantization_config: Any = None,
        peft_config: Any = None,
    ):
        model_id = model if isinstance(model, str) else get_config_model_id(model.config)
        if args is None:
            args = TimeWarpDPOConfig(f"{(model_id or 'model').split('/')[-1]}-TimeWarp-DPO")
        elif not isinstance(args, TimeWarpDPOConfig):
            raise TypeError(
                f"args must be a TimeWarpDPOConfig (it says how videos become frames), got "
                f"{type(args).__name__}; TimeWarpDPOConfig takes every DPOConfig field as well"
            )
        if train_dataset is None:
            raise ValueError("`train_dataset` is required")
        self._is_video_dataset = _has_video(train_dataset)
        self.skipped_video_ids: list[str] = []
        self._pairs_summary: dict[str, Any] = {}
        if self._is_video_dataset:
            if args.precompute_ref_log_probs:
                raise ValueError(
                    "precompute_ref_log_probs=True is not supported for video datasets: frames are decoded "
                    "on the fly and a skipped row would misalign the cached log-probs. Use LoRA (the "
                    "reference is the adapter-disabled policy and costs no extra memory) instead."
                )
            if processing_class is None:
                processing_class = AutoProcessor.from_pretrained(
                    model_id, trust_remote_code=args.trust_remote_code
                )
            if not isinstance(model, str):  # a model id is checked once TRL has loaded it, below
                check_processor_matches_model(processing_class, model)
            train_dataset = _undecoded(train_dataset)
            eval_dataset = _undecoded(eval_dataset)
            self._pairs_summary = _summarize_pairs(train_dataset)
            if data_collator is None:
                collator_options = {name: getattr(args, name) for name in _COLLATOR_FIELDS}
                data_collator = VideoPreferenceCollator(processor=processing_class, **collator_options)
        super().__init__(
            model=model,
            ref_model=ref_model,
            args=args,
            data_collator=data_collator,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=processing_class,
            compute_metrics=compute_metrics,
            callbacks=callbacks,
            optimizers=optimizers,
            quantization_config=quantization_config,
            peft_config=peft_config,
        )
        if self._is_video_dataset:
            if isinstance(model, str):  # loaded by TRL just now
                check_processor_matches_model(processing_class, self.model)
            # From here on every vision branch of DPOTrainer applies (e.g. `evaluate` leaves new eval
            # datasets raw instead of tokenising them as text).
            self._is_vision_dataset = True

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        # Tokenising a video row as text would expand its placeholders without pixels; the collator
        # processes video rows on the fly instead.
        if self._is_video_dataset:
            return dataset
        return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

    def _get_train_sampler(self, train_dataset=None):
        if self.args.curriculum != "none":
            # the trainer's own dataset: the copy handed in here has lost the difficulty column already
            return curriculum_sampler(self.train_dataset, self.args)
        column = self.args.group_batches_by
        if column is None:
            return super()._get_train_sampler(train_dataset)
        # the trainer's own dataset: the copy it is handed here has lost its unused columns already
        dataset = self.train_dataset
        if not isinstance(dataset, Dataset) or column not in dataset.column_names:
            names = getattr(dataset, "column_names", None)
            raise ValueError(
                f"group_batches_by={column!r} needs a datasets.Dataset with that column; the training data "
                f"has columns {names}. Add it (e.g. pair_id = the clip pair a row's video belongs to) or "
                "unset group_batches_by"
            )
        prompts = [str(p) for p in dataset["prompt"]] if "prompt" in dataset.column_names else None
        return GroupedSampler(dataset[column], prompts, seed=self.args.seed)

    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        if self._is_video_dataset:
            missing = [c for c in _COLLATED_COLUMNS if c not in self._signature_columns]
            self._signature_columns = [*self._signature_columns, *missing]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        skipped = inputs.pop(SKIPPED_VIDEOS_KEY, None) or []
        if self._is_video_dataset:
            # Skips happen per rank; every rank learns them all (one scalar gather per step, the names
            # only when some rank skipped), so the metric and the list are global.
            count = torch.tensor(len(skipped), device=self.accelerator.device)
            if self.accelerator.gather(count).sum() > 0:
                self.skipped_video_ids.extend(gather_object(skipped))
            mode = "train" if self.model.training else "eval"
            self._metrics[mode]["skipped_videos"] = [len(self.skipped_video_ids)]
        try:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        except ValueError as exc:
            if _VIDEO_TOKEN_MISMATCH not in str(exc):
                raise
            raise ValueError(
                f"{exc}. The video placeholder tokens in the text do not match the video features: either "
                "the processor does not belong to the model, or a custom collator truncated the prompt. "
                "Keep max_length=None and bound sequences with num_frames / max_pixels instead."
            ) from exc

    def _save_checkpoint(self, model, trial):
        # TRL writes the card before the checkpoint; here the checkpoint (weights, optimizer, state) goes
        # first, and a card that cannot be written costs a warning, never the checkpoint.
        Trainer._save_checkpoint(self, model, trial)
        model_name = (self.args.hub_model_id or self.args.output_dir).rstrip("/").split("/")[-1]
        try:
            self.create_model_card(model_name=model_name)
        except Exception as exc:
            logger.warning(
                "checkpoint saved, but the model card could not be written (%s: %s)", type(exc).__name__, exc
            )

    def create_model_card(
        self,
        model_name: str | None = None,
        dataset_name: str | None = None,
        tags: str | list[str] | None = None,
    ) -> None:
        """TRL's model card (written to ``output_dir/README.md``), with a video quick start and a section on
        the TimeWarp data (pairs per recipe and warp, sources, generators) and the frame and DPO settings."""
        super().create_model_card(model_name=model_name, dataset_name=dataset_name, tags=tags)
        if not self.is_world_process_zero() or not self._is_video_dataset:
            return
        path = Path(self.args.output_dir) / "README.md"
        card = ModelCard.load(path)
        card.data.pipeline_tag = "video-text-to-text"
        if is_peft_model(self.model):
            card.data.library_name = "peft"
        # TRL links the base model only when it is a Hub id; name a local one instead of linking to "None"
        base = get_config_model_id(self.model.config) or "a local checkpoint"
        text = card.text.replace("[None](https://huggingface.co/None)", f"`{Path(base).name}`")
        text = re.sub(
            r"## Quick start\n.*?(?=\n## )", self._quick_start().replace("\\", r"\\"), text, flags=re.S
        )
        section = self._timewarp_section()
        if "### Framework versions" in text:
            text = text.replace("### Framework versions", f"{section}\n### Framework versions", 1)
        else:
            text = f"{text}\n{section}"
        card.text = text
        # evaluation, intended use and limits: the same sections `timewarp push model` completes
        update_model_card(card, num_frames=self.args.num_frames).save(path)

    def _quick_start(self) -> str:
        repo = self.hub_model_id or self.args.output_dir
        return textwrap.dedent(f"""\
            ## Quick start

            ```python
            from transformers import AutoModelForImageTextToText, AutoProcessor

            processor = AutoProcessor.from_pretrained("{repo}")
            model = AutoModelForImageTextToText.from_pretrained("{repo}")
            messages = [{{"role": "user", "content": [
                {{"type": "video", "path": "clip.mp4"}},
                {{"type": "text", "text": "What happens after the person opens the door?"}},
            ]}}]
            inputs = processor.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt",
                processor_kwargs={{"num_frames": {self.args.num_frames or 8}}},  # as many frames as in training
            )
            output = model.generate(**inputs, max_new_tokens=128)
            print(processor.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))
            ```
            """)

    def _timewarp_section(self) -> str:
        args, summary = self.args, self._pairs_summary
        if args.fps is not None:
            sampling = f"one frame every {1 / args.fps:g} s"
        else:
            sampling = f"{args.num_frames} frames spread uniformly"
        if args.max_frames:
            sampling += f", at most {args.max_frames}"
        if args.use_frame_indices:
            sampling += "; rows with `frame_indices` use exactly the frames their answers were generated from"
        rows = [("preference pairs", f"{summary['pairs']:,}" if "pairs" in summary else "streamed")]
        if "videos" in summary:
            rows.append(("videos", f"{summary['videos']:,}"))
        for key, label in (
            ("recipe", "recipes"),
            ("pair_type", "pair types"),
            ("warp", "warps"),
            ("source", "sources"),
            ("generator", "generators"),
        ):
            if summary.get(key):
                rows.append((label, _counts(summary[key])))
        rows.append(("frames per video", sampling))
        rows.append(
            ("pixel budget per frame", f"{args.max_pixels:,}" if args.max_pixels else "the processor's")
        )
        if args.shuffle_frames:
            rows.append(("frame order", "**scrambled** (order-blind control run)"))
        if args.curriculum != "none":
            rows.append(
                (
                    "training order",
                    f"{args.curriculum} by `{args.curriculum_column}`, {args.curriculum_stages} stages "
                    f"paced by {args.curriculum_pacing}",
                )
            )
        loss = " + ".join(args.loss_type)
        rows.append(("loss", f"{loss}, beta {args.beta:g}"))
        length = f"{args.max_steps} steps" if args.max_steps > 0 else f"{args.num_train_epochs:g} epochs"
        rows.append(("learning rate, length", f"{args.learning_rate:g}, {length}"))
        peft_config = getattr(self.model, "peft_config", {}).get("default")
        if peft_config is not None:
            rows.append(
                (
                    "adapter",
                    f"LoRA r={peft_config.r}, alpha={peft_config.lora_alpha} on `{peft_config.target_modules}`",
                )
            )
        else:
            rows.append(("adapter", "none (full fine-tuning against a frozen reference copy)"))
        if self.skipped_video_ids:
            rows.append(("pairs skipped (unreadable video)", f"{len(self.skipped_video_ids):,}"))
        table = "\n".join(f"| {key} | {_table_cell(value)} |" for key, value in rows)
        return (
            "### TimeWarp data and recipe\n\n"
            "Trained with [TimeWarp](https://huggingface.co/papers/2510.03955) video DPO (`timewarp-hf`): "
            "preference pairs over the original video whose rejected answer is what one would say if the "
            "video's time were warped.\n\n"
            f"| | |\n|---|---|\n{table}\n"
        )
