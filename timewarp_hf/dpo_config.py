"""``TimeWarpDPOConfig``: TRL's ``DPOConfig`` with the TimeWarp recipe's defaults and the video fields.

As TRL keeps ``DPOConfig`` apart from ``DPOTrainer``: the fields (frames, decode errors, training order)
and their checks, which ``timewarp train`` turns into flags and recipes set from YAML, without the
trainer's machinery. Every field is checked on creation, so a bad value fails before any model loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from trl import DPOConfig

from .sampling import CURRICULA, CURRICULUM_PACINGS

__all__ = ["TimeWarpDPOConfig"]


def _bf16_default() -> bool:
    # TRL defaults bf16=True, which makes TrainingArguments raise on a machine without a bf16-capable GPU.
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


@dataclass
class TimeWarpDPOConfig(DPOConfig):
    """Configuration of :class:`TimeWarpDPOTrainer`: TRL's ``DPOConfig`` plus how videos become frames.

    Defaults follow the original TimeWarp training (sigmoid DPO, ``beta=0.1``, ``learning_rate=5e-7``,
    3 epochs, linear schedule with 10 % warm-up, 8 frames per video). The original's effective batch of 80
    is ``per_device_train_batch_size x gradient_accumulation_steps x num GPUs`` (4 x 4 x 5 there).
    ``max_length`` defaults to ``None``: truncation cannot cut video tokens, so long sequences are better
    bounded with ``num_frames`` and ``max_pixels``. ``bf16`` defaults to on only where a CUDA GPU supports it,
    so the same config runs on a CPU-only machine.

    Parameters:
        num_frames: frames sampled uniformly per video when a row has no ``frame_indices`` (or
            ``use_frame_indices=False``).
        fps: sample one frame every ``1/fps`` seconds instead of a fixed count.
        max_frames: upper bound on frames per video for every kind of sampling.
        max_pixels: per-frame pixel budget (height x width); larger frames are downscaled, aspect kept.
        use_frame_indices: decode a row's ``frame_indices``, the frames its answers were generated from.
        folder_fps: nominal frame rate of pre-extracted frame folders.
        on_decode_error: ``"skip"`` (log and count rows whose video cannot be read) or ``"raise"``.
        shuffle_frames: scramble frame order inside the collator: the order-blind control.
        group_batches_by: a column whose equal values are kept together in training batches (e.g.
            ``pair_id`` for a clip and its time reversal, ``video_id`` for one video's pairs), rows inside a
            group ordered by prompt; groups are shuffled every epoch (seeded by ``seed``). See
            :mod:`timewarp_hf.sampling` for why; ``None`` keeps ``train_sampling_strategy``.
        curriculum: ``"none"`` (the default: ``train_sampling_strategy`` decides) or ``"easy_to_hard"``
            (rows in ``curriculum_stages`` difficulty stages, easiest first, read from the
            ``curriculum_column``; see :mod:`timewarp_hf.sampling`). Resumable at any step.
        curriculum_stages, curriculum_pacing, curriculum_column: the number of stages; ``"steps"`` (each
            epoch goes easy to hard) or ``"epochs"`` (epoch ``e`` adds stage ``e``); the difficulty column.
    """

    learning_rate: float = field(default=5e-7, metadata={"help": "AdamW learning rate (TimeWarp: 5e-7)."})
    num_train_epochs: float = field(default=3.0, metadata={"help": "Training epochs (TimeWarp: 3)."})
    warmup_steps: float = field(
        default=0.1,
        metadata={"help": "Warm-up steps, or a fraction of all steps when < 1 (TimeWarp: 0.1)."},
    )
    max_length: int | None = field(
        default=None,
        metadata={
            "help": "Maximum tokens per sequence; None (the default) never truncates. Only answers are "
            "ever truncated: a video that alone exceeds it raises an error naming the knobs."
        },
    )
    bf16: bool | None = field(
        default=None,
        metadata={"help": "bf16 mixed precision; by default on only where a CUDA GPU supports it."},
    )
    num_frames: int | None = field(
        default=8, metadata={"help": "Frames sampled uniformly per video (TimeWarp: 8)."}
    )
    fps: float | None = field(
        default=None, metadata={"help": "Sample one frame every 1/fps seconds instead of num_frames."}
    )
    max_frames: int | None = field(default=None, metadata={"help": "Cap on frames per video."})
    max_pixels: int | None = field(
        default=None,
        metadata={"help": "Per-frame pixel budget (height x width); larger frames are downscaled."},
    )
    use_frame_indices: bool = field(
        default=True,
        metadata={"help": "Decode each row's frame_indices (what the pair was generated from) when present."},
    )
    folder_fps: float = field(
        default=1.0, metadata={"help": "Nominal frame rate of pre-extracted frame folders."}
    )
    on_decode_error: str = field(
        default="skip",
        metadata={
            "help": "What to do with a row whose video cannot be read: skip it (logged, counted) or raise.",
            "choices": ["skip", "raise"],
        },
    )
    shuffle_frames: bool = field(
        default=False,
        metadata={"help": "Order-blind control: scramble each clip's frame order (seeded by `seed`)."},
    )

    group_batches_by: str | None = field(
        default=None,
        metadata={
            "help": "Column whose equal values stay together in training batches, e.g. pair_id (a clip and "
            "its time reversal) or video_id (a video's pairs); groups are shuffled each epoch."
        },
    )
    # -- curriculum: one block (see timewarp_hf.sampling)
    curriculum: str = field(
        default="none",
        metadata={
            "help": "Training order: none, or easy_to_hard by pair difficulty.",
            "choices": list(CURRICULA),
        },
    )
    curriculum_stages: int = field(default=3, metadata={"help": "Difficulty stages of the curriculum."})
    curriculum_pacing: str = field(
        default="steps",
        metadata={
            "help": "steps: each epoch goes easy to hard; epochs: epoch e adds stage e.",
            "choices": list(CURRICULUM_PACINGS),
        },
    )
    curriculum_column: str = field(
        default="difficulty", metadata={"help": "Column holding each pair's difficulty."}
    )

    def __post_init__(self):
        if self.bf16 is None:
            self.bf16 = _bf16_default()
        self._check_frame_fields()
        self._check_curriculum_fields()
        super().__post_init__()

    def _check_curriculum_fields(self) -> None:
        if self.curriculum not in CURRICULA:
            raise ValueError(f"curriculum must be one of {', '.join(CURRICULA)}, got {self.curriculum!r}")
        if self.curriculum_pacing not in CURRICULUM_PACINGS:
            raise ValueError(
                f"curriculum_pacing must be one of {', '.join(CURRICULUM_PACINGS)}, got {self.curriculum_pacing!r}"
            )
        if not isinstance(self.curriculum_stages, int) or self.curriculum_stages < 1:
            raise ValueError(f"curriculum_stages must be a positive integer, got {self.curriculum_stages!r}")
        if self.curriculum != "none" and getattr(self, "group_batches_by", None):
            raise ValueError(
                "curriculum and group_batches_by both set the training order; a curriculum would split the "
                "groups across stages. Use one of them"
            )

    def _check_frame_fields(self) -> None:
        def positive(name: str, fix: str) -> None:
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}; {fix}")

        positive("num_frames", "e.g. num_frames=8 (TimeWarp's), or sample by rate with fps=2")
        positive("fps", "e.g. fps=2, or leave it unset and use num_frames")
        positive("max_frames", "e.g. max_frames=32, or leave it unset for no cap")
        positive("max_pixels", "e.g. max_pixels=448*448, or leave it unset to keep the decoded size")
        positive("folder_fps", "set the rate at which the frame folders were extracted")
        positive("max_length", "raise it, or set max_length=None (no truncation, the default for video)")
        if self.num_frames is None and self.fps is None:
            raise ValueError("num_frames and fps are both unset; set num_frames=8 or fps=2 to sample frames")
        if self.on_decode_error not in ("skip", "raise"):
            raise ValueError(
                f"on_decode_error must be 'skip' or 'raise', got {self.on_decode_error!r}; 'skip' logs and "
                "counts unreadable videos, 'raise' stops at the first one"
            )
        if self.truncation_mode != "keep_start":
            raise ValueError(
                f"truncation_mode={self.truncation_mode!r} would cut the video out of the prompt; use "
                "'keep_start' (the default) or bound lengths with num_frames / max_pixels"
            )
