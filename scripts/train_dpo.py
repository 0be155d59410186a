"""Train a Video-LLM with TimeWarp DPO; the same program as ``timewarp train``.

    python scripts/train_dpo.py --model_name_or_path Qwen/Qwen2.5-VL-3B-Instruct \
        --dataset_name ./pairs --output_dir qwen2.5-vl-timewarp
    accelerate launch --config_file scripts/accelerate/deepspeed_zero2.yaml scripts/train_dpo.py ...

Run with ``--help`` for every flag; see :mod:`timewarp_hf.training`.
"""

from timewarp_hf.training import main

if __name__ == "__main__":
    raise SystemExit(main())
