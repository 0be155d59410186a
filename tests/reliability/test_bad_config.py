"""Every public entry point answers a bad option or input with one clear line naming the field and the fix,
exit status 2, no traceback: table-driven over the builder, trainer, eval, push and demo commands."""

import pytest

from timewarp_hf.cli import run

CASES = [
    (
        ["build", "--base", "{videos}", "--recipe", "nope", "--captioner", "m", "--output", "{tmp}/o"],
        "TimeWarpConfig.recipe='nope' is invalid: accepted values: explicit, warped, implicit",
    ),
    (
        ["build", "--base", "{videos}", "--warps", "rewind", "--captioner", "m", "--output", "{tmp}/o"],
        "TimeWarpConfig.warps='rewind' is invalid: unknown warp 'rewind'; accepted:",
    ),
    (["build", "--base", "{videos}", "--output", "{tmp}/o"], "TimeWarpConfig.captioner=None is invalid"),
    (
        ["build", "--base", "{videos}", "--captioner", "m", "--max-similarity", "2", "--output", "{tmp}/o"],
        "TimeWarpConfig.max_similarity=2.0 is invalid: use a similarity threshold in (0, 1]",
    ),
    (
        ["build", "--base", "{tmp}/missing", "--captioner", "m", "--output", "{tmp}/o"],
        "base '{tmp}/missing' does not exist",
    ),
    (
        ["build", "--base", "{videos}", "--captioner", "template", "--output", "{tmp}/o"],
        "only writes the explicit recipe's QA",
    ),
    (
        ["preview", "{videos}", "--warps", "speed:rate=2"],
        "warp 'speed' has no parameter rate; accepted: factor",
    ),
    (["train", "--dataset_name", "{tmp}/pairs"], "--model_name_or_path is required"),
    (["train", "--model_name_or_path", "{tmp}/nomodel", "--dataset_name", "x"], "no such folder"),
    (
        ["train", "--model_name_or_path", "{videos}", "--dataset_name", "x", "--num_frames", "0"],
        "num_frames must be positive, got 0",
    ),
    (
        ["eval", "--model", "m", "--benchmark", "nope"],
        "Unknown benchmark 'nope'; accepted: tempcompass_multi_choice",
    ),
    (["eval", "--model", "m", "--benchmark", "mvbench", "--scoring", "magic"], "invalid choice: 'magic'"),
    (
        ["push", "dataset", "{tmp}/missing", "me/x", "--dry-run", "{tmp}/d"],
        "pairs folder {tmp}/missing does not exist",
    ),
    (
        ["push", "model", "{videos}", "me/x", "--dry-run", "{tmp}/d"],
        "holds no config.json or adapter_config.json",
    ),
    (
        ["push", "space", "not a repo id", "--dry-run", "{tmp}/d"],
        "repo_id 'not a repo id' is not a Hub repo id",
    ),
    (["demo", "--base-model", "m"], "give both --base-model and --timewarp-model"),
]


@pytest.mark.parametrize(
    "argv, message", CASES, ids=[" ".join(c[0][:2]) + f"-{k}" for k, c in enumerate(CASES)]
)
def test_bad_options_get_one_clear_line(
    argv, message, tmp_path, sample_videos, capsys, monkeypatch, isolated_datasets_cache
):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    fill = {"tmp": str(tmp_path), "videos": str(sample_videos)}
    argv = [a.format(**fill) for a in argv]
    try:
        code = run(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message.format(**fill) in err, err
    assert "Traceback" not in err
