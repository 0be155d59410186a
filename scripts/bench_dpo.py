"""Speed benchmark: TimeWarpDPOTrainer on video against TRL's own DPOTrainer on the same frames as images.

    python scripts/bench_dpo.py                       # tiny-architecture Qwen2-VL, widened, on CPU or GPU
    python scripts/bench_dpo.py --family smolvlm --steps 20

Both trainers train the same randomly initialised model, with the same LoRA, on the same pairs. TimeWarp
decodes each pair's frames from the MP4 inside its collator; the baseline gets exactly those frames
decoded beforehand, as a PIL image list per row, and runs TRL's native vision path
(``DataCollatorForVisionPreference``). A third run trains the same model fully, against a reference copy,
to show what LoRA saves. Each run is a separate process (clean peak-memory accounting); runs alternate
``--repeats`` times and the best median step of each is kept, so background load on a shared machine
skews both sides alike.

Printed: median seconds per optimizer step (data loading, both forwards, backward, update); the data
side alone (fetching and collating a batch, decoding included); peak memory of the whole run after
imports, i.e. model, reference copy or adapter, data, optimizer state and activations (CUDA:
``max_memory_allocated``; CPU: peak RSS minus the RSS after imports, coarse at small sizes); tokens per
sequence; parameters held (reference copy included) and trained; and the ratios TimeWarp / TRL-images and
LoRA / full, also as result lines (:mod:`bench_common`) for ``scripts/bench_all.py``.

The two paths do not hand the model the same number of tokens, so the per-token time ratio is printed
too: Qwen-VL merges each pair of video frames into one group of tokens, while as images every frame is
encoded on its own (fewer tokens for video); SmolVLM's video format adds timestamp text before every
frame (more tokens for video, many more with the tiny byte-level tokenizer).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench_common import make_clips, markdown_table, python_command, result, run_child, verdict

QUESTION = "Describe what happens in the video, in order."


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def prepare(
    workdir: Path, family: str, hidden: int, layers: int, videos: int, pairs: int, frames: int, side: int
):
    """Write the model (random weights, saved so that full fine-tuning can reload its reference) and the pairs."""
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    from timewarp_hf.testing import make_tiny_vlm

    tiny = make_tiny_vlm(workdir / "tiny", family)
    config = AutoConfig.from_pretrained(tiny)
    text = config.text_config
    # Wider and deeper text model; the head size stays 16, which the tiny configs' M-RoPE sections assume.
    text.hidden_size, text.intermediate_size, text.num_hidden_layers = hidden, 4 * hidden, layers
    text.num_attention_heads, text.num_key_value_heads = hidden // 16, max(1, hidden // 64)
    if getattr(text, "layer_types", None):
        text.layer_types = text.layer_types[:1] * layers
    if family == "qwen2_vl":  # the vision merger projects to the text width
        config.vision_config.hidden_size = hidden
    elif hasattr(config.vision_config, "out_hidden_size"):
        config.vision_config.out_hidden_size = hidden
    torch.manual_seed(0)
    AutoModelForImageTextToText.from_config(config).save_pretrained(workdir / "model")
    AutoProcessor.from_pretrained(tiny).save_pretrained(workdir / "model")
    rows = []
    for k, path in enumerate(make_clips(workdir / "clips", videos, num_frames=48, width=side, height=side)):
        step = 48 // frames
        for q in range(pairs // videos):
            rows.append(
                {
                    "video": str(path),
                    "video_id": f"v{k}",
                    "frame_indices": list(range(0, step * frames, step)),
                    "question": f"{QUESTION} ({q})",
                }
            )
    (workdir / "pairs.json").write_text(json.dumps(rows))


def run(workdir: Path, variant: str, steps: int, batch: int) -> dict:
    """Train one variant for ``steps`` steps; return its timings and memory."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    from timewarp_hf.clips import load_clip
    from timewarp_hf.trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer, default_lora_config

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    cuda = torch.cuda.is_available()
    # Everything from here on counts: model, reference copy or adapter, data, optimizer, activations.
    before = torch.cuda.memory_allocated() if cuda else _rss_bytes()
    model_path = workdir / "model"
    processor = AutoProcessor.from_pretrained(model_path)
    model = AutoModelForImageTextToText.from_pretrained(model_path)
    rows = json.loads((workdir / "pairs.json").read_text())
    chosen, rejected = "First the square enters, then it crosses the frame.", "Nothing moves."
    common = dict(
        output_dir=str(workdir / f"out-{variant}"),
        per_device_train_batch_size=batch,
        max_steps=steps,
        learning_rate=1e-5,
        report_to="none",
        save_strategy="no",
        logging_steps=steps,
        disable_tqdm=True,
        gradient_checkpointing=False,
        max_length=None,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        dataloader_num_workers=0,
        train_sampling_strategy="sequential",
    )
    peft_config = None if variant == "timewarp-full" else default_lora_config(model)
    if variant == "trl-images":
        data = []
        for row in rows:  # the very frames the TimeWarp collator decodes, handed over as images
            frames = load_clip(row["video"], frame_indices=row["frame_indices"]).frames
            data.append(
                {
                    "images": [_to_pil(f) for f in frames],
                    "prompt": [{"role": "user", "content": row["question"]}],
                    "chosen": [{"role": "assistant", "content": chosen}],
                    "rejected": [{"role": "assistant", "content": rejected}],
                }
            )
        trainer_class, config_class = DPOTrainer, DPOConfig
    else:
        data = [
            {
                "video": row["video"],
                "video_id": row["video_id"],
                "frame_indices": row["frame_indices"],
                "prompt": [
                    {
                        "role": "user",
                        "content": [{"type": "video"}, {"type": "text", "text": row["question"]}],
                    }
                ],
                "chosen": [{"role": "assistant", "content": [{"type": "text", "text": chosen}]}],
                "rejected": [{"role": "assistant", "content": [{"type": "text", "text": rejected}]}],
            }
            for row in rows
        ]
        trainer_class, config_class = TimeWarpDPOTrainer, TimeWarpDPOConfig
    trainer = trainer_class(
        model=model,
        args=config_class(**common),
        train_dataset=Dataset.from_list(data),
        processing_class=processor,
        peft_config=peft_config,
    )
    # Data side alone: fetching rows and collating them (decoding included for TimeWarp).
    start, batches, tokens = time.perf_counter(), 0, 0.0
    for batch in trainer.get_train_dataloader():
        batches += 1
        tokens += float(batch["attention_mask"].sum(1).float().mean())
        if batches == 4:
            break
    collate_ms = (time.perf_counter() - start) / batches * 1000

    class StepClock(TrainerCallback):
        def __init__(self):
            self.ends: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            self.ends.append(time.perf_counter())

    reference = trainer.ref_model
    weights = sum(p.numel() for p in trainer.model.parameters())
    weights += sum(p.numel() for p in reference.parameters()) if reference is not None else 0
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    clock = StepClock()
    trainer.add_callback(clock)
    trainer.train()
    if cuda:
        peak = torch.cuda.max_memory_allocated() - before
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    step_times = [b - a for a, b in zip(clock.ends, clock.ends[1:])][2:]  # drop warm-up steps
    return {
        "variant": variant,
        "step_s": statistics.median(step_times),
        "collate_ms": collate_ms,
        "peak_mb": peak / 2**20,
        "tokens": round(tokens / batches),
        "weights_m": weights / 1e6,
        "trainable_m": trainable / 1e6,
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
    }


def _to_pil(frame):
    from PIL import Image

    return Image.fromarray(frame.permute(1, 2, 0).numpy())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--family", default="qwen2_vl")
    parser.add_argument("--hidden", type=int, default=512, help="text model width (default: 512)")
    parser.add_argument("--layers", type=int, default=4, help="text model depth (default: 4)")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--side", type=int, default=112, help="video width and height in pixels")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=2, help="pairs per step")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="small model, few steps: a smoke run")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.quick:
        args.hidden, args.layers, args.steps, args.repeats = 256, 2, 6, 1
    if args.variant:  # child process: one measured run
        print(json.dumps(run(Path(args.workdir), args.variant, args.steps, args.batch)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        prepare(
            workdir,
            args.family,
            args.hidden,
            args.layers,
            videos=4,
            pairs=4 * args.batch * 2,
            frames=args.frames,
            side=args.side,
        )
        results: dict[str, list[dict]] = {}
        for _ in range(args.repeats):
            for variant in ("timewarp", "trl-images", "timewarp-full"):
                command = python_command(
                    __file__,
                    *(
                        "--variant",
                        variant,
                        "--workdir",
                        workdir,
                        "--steps",
                        args.steps,
                        "--batch",
                        args.batch,
                    ),
                )
                results.setdefault(variant, []).append(run_child(command))
    best = {
        v: min(rs, key=lambda r: r["step_s"])
        | {"peak_mb": min(r["peak_mb"] for r in rs), "collate_ms": min(r["collate_ms"] for r in rs)}
        for v, rs in results.items()
    }
    print(
        f"device: {best['timewarp']['device']} | {args.family} text h{args.hidden}xL{args.layers}, "
        f"{args.frames} frames {args.side}x{args.side}, {args.batch} pairs/step, LoRA r128 unless 'full'"
    )
    headers = ["variant", "s/step", "collate ms", "peak MB", "tokens/seq", "weights M", "trainable M"]
    table = [
        [v, f"{r['step_s']:.3f}", f"{r['collate_ms']:.1f}", f"{r['peak_mb']:.1f}", r["tokens"]]
        + [f"{r['weights_m']:.1f}", f"{r['trainable_m']:.1f}"]
        for v, r in best.items()
    ]
    print(markdown_table(headers, table))
    tw, trl, full = best["timewarp"], best["trl-images"], best["timewarp-full"]
    per_token = (tw["step_s"] / tw["tokens"]) / (trl["step_s"] / trl["tokens"])
    print(
        f"TimeWarp video / TRL images: time {tw['step_s'] / trl['step_s']:.2f}x "
        f"(per token {per_token:.2f}x, collate {tw['collate_ms'] / trl['collate_ms']:.2f}x), "
        f"memory {tw['peak_mb'] / trl['peak_mb']:.2f}x"
    )
    print(
        f"LoRA / full fine-tuning (TimeWarp): time {tw['step_s'] / full['step_s']:.2f}x, "
        f"memory {tw['peak_mb'] / full['peak_mb']:.2f}x"
    )
    time_ratio, memory_ratio = tw["step_s"] / trl["step_s"], tw["peak_mb"] / trl["peak_mb"]
    against = f"vs TRL images ({args.family})"
    time_verdict = verdict(time_ratio, 1.10, higher_is_better=False, unit="x")
    result("dpo", f"{against}, s/step", f"{time_ratio:.2f}x", time_verdict)
    result("dpo", f"{against}, s/step per token", f"{per_token:.2f}x")
    memory_verdict = verdict(memory_ratio, 1.05, higher_is_better=False, unit="x")
    result("dpo", f"{against}, peak memory", f"{memory_ratio:.2f}x", memory_verdict)
    lora = f"{tw['peak_mb'] / full['peak_mb']:.2f}x"
    result("dpo", f"LoRA vs full fine-tuning ({args.family}), peak memory", lora)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
