"""``timewarp train``: DPO of a Video-LLM on TimeWarp preference pairs, driven by dataclass arguments.

Like TRL's own scripts, every field of the argument dataclasses is a command-line flag, and
``--config recipe.yaml`` sets defaults that flags override::

    timewarp train --model_name_or_path Qwen/Qwen2.5-VL-3B-Instruct --dataset_name ./pairs \\
        --output_dir qwen2.5-vl-timewarp

    accelerate launch --config_file scripts/accelerate/deepspeed_zero2.yaml scripts/train_dpo.py \\
        --model_name_or_path Qwen/Qwen2.5-VL-7B-Instruct --dataset_name ./pairs --output_dir out \\
        --per_device_train_batch_size 4 --gradient_accumulation_steps 4

The flags are those of :class:`ScriptArguments` (the data), :class:`TimeWarpModelConfig` (the model and
its LoRA; TRL's ``ModelConfig`` with TimeWarp's defaults) and
:class:`~timewarp_hf.trainer.TimeWarpDPOConfig` (DPO, frames, and every ``TrainingArguments`` field).
By default a LoRA adapter (r128/alpha256 on the language model) is trained; ``--use_peft false`` trains
all weights against a frozen reference copy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from accelerate import PartialState
from datasets import Dataset, DatasetDict, IterableDataset, IterableDatasetDict, load_dataset, load_from_disk
from peft import LoraConfig
from transformers import AutoModelForImageTextToText, AutoProcessor, PreTrainedModel
from trl import ModelConfig, get_peft_config, get_quantization_config

from .cli_parser import TimeWarpArgumentParser
from .trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer, default_lora_config

logger = logging.getLogger(__name__)

__all__ = ["ScriptArguments", "TimeWarpModelConfig", "build_peft_config", "load_pairs", "main", "make_parser", "train"]


@dataclass
class ScriptArguments:
    """Where the preference pairs come from."""

    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "The pairs: a folder written by `Dataset.save_to_disk` or `DatasetDict.save_to_disk`, a "
            "JSON/JSONL file, a local dataset folder, or a Hub dataset id."
        },
    )
    dataset_config: str | None = field(
        default=None, metadata={"help": "Configuration name of a Hub dataset (`load_dataset(name=...)`)."}
    )
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_test_split: str = field(
        default="test", metadata={"help": "Split to evaluate on when `--eval_strategy` is not 'no'."}
    )
    dataset_streaming: bool = field(
        default=False,
        metadata={"help": "Stream a Hub dataset instead of downloading it (needs --max_steps)."},
    )


@dataclass
class TimeWarpModelConfig(ModelConfig):
    """TRL's ``ModelConfig`` with TimeWarp's adapter as the default: LoRA r128, alpha 256, dropout 0.05 on
    every linear layer of the language model (leave ``--lora_target_modules`` unset for that)."""

    use_peft: bool = field(
        default=True, metadata={"help": "Train a LoRA adapter (TimeWarp's default); false: full fine-tuning."}
    )
    lora_r: int = field(default=128, metadata={"help": "LoRA rank (TimeWarp: 128)."})
    lora_alpha: int = field(default=256, metadata={"help": "LoRA alpha (TimeWarp: 256)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout (TimeWarp: 0.05)."})


def make_parser(prog: str | None = None) -> TimeWarpArgumentParser:
    """The argument parser of ``scripts/train_dpo.py`` (``timewarp train`` builds the same one)."""
    return TimeWarpArgumentParser((ScriptArguments, TimeWarpDPOConfig, TimeWarpModelConfig), prog=prog)


def load_pairs(
    name: str, config: str | None = None, streaming: bool = False
) -> Dataset | DatasetDict | IterableDataset | IterableDatasetDict:
    """Load preference pairs from a ``save_to_disk`` folder, a JSON/JSONL file, or through ``load_dataset``."""
    if os.path.isdir(name) and any(
        os.path.exists(os.path.join(name, marker)) for marker in ("dataset_dict.json", "state.json")
    ):
        return load_from_disk(name)
    if os.path.isfile(name) and name.endswith((".json", ".jsonl")):
        return load_dataset("json", data_files=name, streaming=streaming)
    try:
        return load_dataset(name, name=config, streaming=streaming)
    except (FileNotFoundError, ConnectionError) as exc:
        raise ValueError(
            f"--dataset_name {name!r} is neither a local folder/file of pairs nor a reachable Hub dataset "
            f"({type(exc).__name__}: {exc}); pass what `timewarp build --output` wrote"
        ) from exc


def build_peft_config(model_args: ModelConfig, model: PreTrainedModel) -> LoraConfig | None:
    """TimeWarp's LoRA on the language model, unless the flags ask for other target modules or no adapter."""
    if not model_args.use_peft:
        return None
    if model_args.lora_target_modules is not None or model_args.lora_target_parameters is not None:
        return get_peft_config(model_args)
    config = default_lora_config(
        model, r=model_args.lora_r, lora_alpha=model_args.lora_alpha, lora_dropout=model_args.lora_dropout
    )
    config.use_rslora, config.use_dora = model_args.use_rslora, model_args.use_dora
    config.modules_to_save = model_args.lora_modules_to_save
    return config


def _splits(dataset, script_args: ScriptArguments, training_args: TimeWarpDPOConfig):
    wants_eval = training_args.eval_strategy != "no"
    if not isinstance(dataset, (DatasetDict, IterableDatasetDict)):
        if wants_eval:
            raise ValueError(
                f"{script_args.dataset_name} holds a single split, so there is nothing to evaluate on; "
                "save a DatasetDict with a test split or pass --eval_strategy no"
            )
        return dataset, None
    if script_args.dataset_train_split not in dataset:
        raise ValueError(
            f"{script_args.dataset_name} has no split {script_args.dataset_train_split!r} "
            f"(it has {', '.join(dataset)}); set --dataset_train_split"
        )
    train = dataset[script_args.dataset_train_split]
    if not wants_eval:
        return train, None
    if script_args.dataset_test_split not in dataset:
        raise ValueError(
            f"--eval_strategy {training_args.eval_strategy} needs a split {script_args.dataset_test_split!r}, "
            f"but {script_args.dataset_name} has {', '.join(dataset)}; set --dataset_test_split"
        )
    return train, dataset[script_args.dataset_test_split]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), then :func:`train`. Returns the exit code."""
    parser = make_parser()
    arguments = parser.parse_args_and_config(args=argv)
    try:
        return train(*arguments)
    except ValueError as exc:  # a missing or wrong flag: argparse's usage line and exit status 2
        parser.error(str(exc))


def train(
    script_args: ScriptArguments, training_args: TimeWarpDPOConfig, model_args: TimeWarpModelConfig
) -> int:
    """Train, save (and push) the model; the model is saved before its card and the push, so neither can
    lose it. Returns the exit code (1: saved, but the push failed)."""
    if not script_args.dataset_name:
        raise ValueError("--dataset_name is required: the folder, file or Hub id of the preference pairs")
    if not model_args.model_name_or_path:
        raise ValueError("--model_name_or_path is required: the Video-LLM checkpoint to train")
    if model_args.model_name_or_path.startswith(("/", ".", "~")) and not os.path.isdir(
        os.path.expanduser(model_args.model_name_or_path)
    ):
        raise ValueError(
            f"--model_name_or_path {model_args.model_name_or_path}: no such folder (or give a Hub id)"
        )

    train_dataset, eval_dataset = _splits(
        load_pairs(script_args.dataset_name, script_args.dataset_config, script_args.dataset_streaming),
        script_args,
        training_args,
    )
    quantization_config = get_quantization_config(model_args)
    model = AutoModelForImageTextToText.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        dtype=model_args.dtype,
        attn_implementation=model_args.attn_implementation,
        trust_remote_code=training_args.trust_remote_code,
        quantization_config=quantization_config,
        # k-bit weights cannot be moved after loading: place them on this process's device right away
        device_map={"": PartialState().local_process_index} if quantization_config is not None else None,
    )
    processor = AutoProcessor.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        trust_remote_code=training_args.trust_remote_code,
    )
    trainer = TimeWarpDPOTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=processor,
        peft_config=build_peft_config(model_args, model),
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    # The weights (adapter or full model) and the processor first: nothing after this can lose them.
    # (`_internal_call`: only save; `Trainer.save_model` would otherwise push too, before the card exists.)
    trainer.save_model(training_args.output_dir, _internal_call=True)
    trainer.accelerator.print(f"model saved to {training_args.output_dir}")
    if trainer.skipped_video_ids:
        trainer.accelerator.print(
            f"{len(trainer.skipped_video_ids)} pair(s) skipped because their video could not be read: "
            + ", ".join(trainer.skipped_video_ids[:10])
            + (" ..." if len(trainer.skipped_video_ids) > 10 else "")
        )
    is_hub_dataset = not os.path.exists(script_args.dataset_name)
    dataset_id = script_args.dataset_name if is_hub_dataset else None
    model_name = os.path.basename(os.path.normpath(training_args.output_dir))
    status = 0
    try:
        trainer.create_model_card(model_name=model_name, dataset_name=dataset_id)
    except Exception as exc:  # the model is saved: a card problem must not turn a finished run into a failure
        logger.warning(
            "the model is saved in %s, but its model card could not be written (%s: %s); "
            "`timewarp push model %s <repo_id> --dry-run <dir>` writes a complete card later",
            training_args.output_dir,
            type(exc).__name__,
            exc,
            training_args.output_dir,
        )
    if training_args.push_to_hub:
        try:
            trainer.push_to_hub(dataset_name=dataset_id)
            trainer.accelerator.print(f"pushed to https://huggingface.co/{trainer.hub_model_id}")
        except Exception as exc:
            status = 1
            logger.error(
                "the model is saved in %s, but the push to the Hub failed (%s: %s); retry with "
                "`timewarp push model %s %s`",
                training_args.output_dir,
                type(exc).__name__,
                exc,
                training_args.output_dir,
                training_args.hub_model_id or trainer.hub_model_id or "<repo_id>",
            )
    trainer.end()
    return status
