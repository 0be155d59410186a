"""The grouped training order: a clip pair's rows stay together, every row once per epoch, seeded, and the
trainer uses it when ``group_batches_by`` names a column (and says what is missing when it does not)."""

from __future__ import annotations

import pytest
from datasets import Dataset

from timewarp_hf.sampling import GroupedSampler
from timewarp_hf.trainer import TimeWarpDPOConfig, TimeWarpDPOTrainer


def test_groups_stay_together_sorted_by_prompt_and_reshuffle_each_epoch():
    keys = ["a", "a", "a", "a", "b", "b", "c", "c"]
    prompts = ["last?", "first?", "first?", "last?", "first?", "first?", "x", "x"]
    sampler = GroupedSampler(keys, prompts, seed=3)
    epochs = []
    for epoch in range(6):
        sampler.set_epoch(epoch)
        order = list(sampler)
        assert sorted(order) == list(range(8)) and len(sampler) == 8
        runs = [k for n, k in enumerate(keys[i] for i in order) if n == 0 or keys[order[n - 1]] != k]
        assert sorted(runs) == ["a", "b", "c"]  # each group in one contiguous run
        a_rows = [i for i in order if keys[i] == "a"]
        assert [prompts[i] for i in a_rows] == ["first?", "first?", "last?", "last?"]
        epochs.append(tuple(order))
    assert len(set(epochs)) > 1  # the group order changes between epochs
    sampler.set_epoch(0)
    assert tuple(sampler) == epochs[0]  # and is seeded


def test_the_trainer_samples_by_group_and_names_a_missing_column(tiny_vlm, counter_video, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(tiny_vlm)
    processor = AutoProcessor.from_pretrained(tiny_vlm)
    message = [{"role": "user", "content": [{"type": "video", "text": None}, {"type": "text", "text": "Q?"}]}]
    answer = [{"role": "assistant", "content": [{"type": "text", "text": "A."}]}]
    rows = [
        {"prompt": message, "chosen": answer, "rejected": answer, "video": str(counter_video), "pair_id": k}
        for k in ("p1", "p2", "p1", "p2")
    ]
    quick = dict(report_to="none", save_strategy="no", max_steps=1, use_cpu=True)
    args = TimeWarpDPOConfig(str(tmp_path), group_batches_by="pair_id", **quick)
    trainer = TimeWarpDPOTrainer(
        model, args=args, train_dataset=Dataset.from_list(rows), processing_class=processor
    )
    order = list(trainer._get_train_sampler())
    assert [rows[i]["pair_id"] for i in order] in (["p1", "p1", "p2", "p2"], ["p2", "p2", "p1", "p1"])
    args = TimeWarpDPOConfig(str(tmp_path), group_batches_by="clip", **quick)
    trainer = TimeWarpDPOTrainer(
        model, args=args, train_dataset=Dataset.from_list(rows), processing_class=processor
    )
    with pytest.raises(ValueError, match="group_batches_by='clip' needs"):
        trainer._get_train_sampler()
