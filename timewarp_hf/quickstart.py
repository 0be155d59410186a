"""``timewarp quickstart [DIR]``: the main job on embedded defaults, from any folder, with nothing to download.

videos -> warps -> preference pairs (all three recipes) -> TimeWarp DPO -> base vs tuned evaluation -> Hub
cards. Synthetic sample videos and a tiny random Video-LLM (made on the spot) stand in for real footage and
Qwen2.5-VL, so the text the model writes is gibberish, but every step around it is the real one: each step
runs the ``timewarp`` subcommand a user runs (:func:`timewarp_hf.cli.main`), in this process.
``scripts/quickstart.sh`` installs the package and then runs this.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["README_MARKERS", "QuickstartOutputs", "run_quickstart"]

_RECIPES = ("warped", "implicit", "explicit")
# The README's copy of step 5b's table, rewritten by ``timewarp quickstart --readme README.md``.
README_MARKERS = ("<!-- quickstart-gain:start -->", "<!-- quickstart-gain:end -->")


@dataclass(frozen=True)
class QuickstartOutputs:
    """Where the quickstart left what it made (all under one folder)."""

    root: Path

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def model(self) -> Path:
        return self.root / "models" / "tiny-qwen2vl"

    def pairs(self, recipe: str) -> Path:
        return self.root / f"pairs-{recipe}"

    @property
    def adapter(self) -> Path:
        return self.root / "dpo"

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    @property
    def hub(self) -> Path:
        return self.root / "hub"

    @property
    def gain(self) -> Path:
        return self.root / "gain"

    @property
    def log(self) -> Path:
        return self.root / "quickstart.log"


def run_quickstart(
    output_dir: str | os.PathLike = "outputs",
    *,
    videos: int = 4,
    train_steps: int = 6,
    gain: bool = True,
    readme: str | os.PathLike | None = None,
) -> QuickstartOutputs:
    """Run the main job into ``output_dir`` and return where everything is.

    Each step's own report (JSON lines, tables) goes to ``quickstart.log`` in ``output_dir``; the console
    shows the steps, progress bars and the base-vs-tuned table. Re-running reuses the tiny model and the
    response cache, and rebuilds everything else. With ``gain`` (the default) it also fits the tiny base
    on the synthetic train split, TimeWarp-trains a copy (:func:`timewarp_hf.testing.fitted_pair.base_and_timewarp`)
    and prints base vs TimeWarp on 112 synthetic test questions: the step that shows the method working.
    That pair then becomes ``timewarp demo``'s default models (copied into its cache folder). With
    ``readme``, the gain table and the run's duration replace the :data:`README_MARKERS` block there.
    """
    if videos < 2:
        raise ValueError(f"videos must be >= 2 (pairs need more than one clip), got {videos}")
    if train_steps < 1:
        raise ValueError(f"train_steps must be >= 1, got {train_steps}")
    if readme is not None and not gain:
        raise ValueError("readme needs the gain step (its table is what goes into the README)")
    out = QuickstartOutputs(Path(output_dir).resolve())
    out.root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(out.log, "a") as log:
        run = _Runner(log)
        print(f">> 1. sample videos (with scene captions) -> {out.samples}")
        run("samples", str(out.samples), "--count", str(videos))

        print(f">> 2. decode once, apply every warp -> {out.root}/*_warps.png")
        run("preview", str(out.samples), "--output", str(out.root))

        print(f">> 3. preference pairs, three recipes -> {out.root}/pairs-*/")
        print(
            "   (a tiny random Video-LLM stands in for Qwen2.5-VL: its text is gibberish, every step is real)"
        )
        if not (out.model / "config.json").is_file():
            run("tiny-model", str(out.model), "--family", "qwen2_vl")
        for recipe in _RECIPES:
            pairs = out.pairs(recipe)
            options = ["--output", str(pairs), "--llava-hound", str(pairs / "llava_hound.json")]
            if recipe == "explicit":  # temporal QA from the scene captions, by the rule-based generator
                options += ["--generator", "template"]
            else:
                options += [
                    "--captioner",
                    str(out.model),
                    "--max-new-tokens",
                    "24",
                    "--max-similarity",
                    "1.0",
                ]
                options += ["--response-cache", str(out.root / "responses.sqlite")]
            run("build", "--base", str(out.samples), "--recipe", recipe, *options)

        print(f">> 4. TimeWarp DPO (LoRA) on the explicit pairs -> {out.adapter}")
        run(
            "train",
            *("--model_name_or_path", str(out.model), "--dataset_name", str(out.pairs("explicit"))),
            *("--output_dir", str(out.adapter), "--max_steps", str(train_steps)),
            *("--per_device_train_batch_size", "2", "--learning_rate", "1e-4", "--lora_r", "8"),
            *("--lora_alpha", "16", "--report_to", "none", "--save_strategy", "no", "--logging_steps", "2"),
            *("--gradient_checkpointing", "false"),
        )

        print(f">> 5. base vs tuned on the synthetic temporal benchmark -> {out.eval}")
        benchmark = out.root / "temporal-test"
        run("temporal-benchmark", str(benchmark), "--split", "test", "--pairs-per-type", "2")
        for side, adapter in (("base", ()), ("tuned", ("--adapter", str(out.adapter)))):
            run(
                "eval",
                *("--model", str(out.model), *adapter, "--benchmark", "synthetic_temporal"),
                *("--data", str(benchmark), "--scoring", "likelihood", "--output", str(out.eval / side)),
            )
        table = run(
            *("compare", str(out.eval / "base"), str(out.eval / "tuned")),
            *("--output", str(out.eval / "model_index.json")),
        )
        print(table.strip())

        if gain:
            print(f">> 5b. the method shown working: a fitted tiny base vs its TimeWarp copy -> {out.gain}")
            print("   (the base is fitted on the synthetic train split; TimeWarp-warped pairs, TimeWarp DPO)")
            from .demo import PAIR_FOLDER, default_cache_dir
            from .testing.fitted_pair import QUICKSTART_PAIR, base_and_timewarp, format_gain, install_pair

            result = base_and_timewarp(
                out.gain, log=lambda line: print(f"   {line}", flush=True), **QUICKSTART_PAIR
            )
            questions = result["base"]["questions"]
            print(f"   {questions} synthetic test questions, likelihood scoring, {result['seconds']:.0f} s")
            print(format_gain(result))
            demo = install_pair(out.gain, default_cache_dir() / PAIR_FOLDER)
            print(f"   `timewarp demo` now serves this pair by default ({Path(demo['base_model']).parent})")

        print(f">> 6. dataset, model and Space repos, exactly as they would be uploaded -> {out.hub}")
        for name in ("dataset", "model", "space"):
            # a dry run stages into an empty folder: exactly what would go up
            shutil.rmtree(out.hub / name, ignore_errors=True)
        run(
            "push",
            "dataset",
            str(out.pairs("explicit")),
            "me/timewarp-pairs",
            "--dry-run",
            str(out.hub / "dataset"),
        )
        run(
            "push",
            *("model", str(out.adapter), "me/tiny-qwen2vl-timewarp", "--dataset", "me/timewarp-pairs"),
            *("--eval-results", str(out.eval / "model_index.json"), "--dry-run", str(out.hub / "model")),
        )
        run("push", "space", "me/timewarp-demo", "--dry-run", str(out.hub / "space"))
    seconds = time.monotonic() - started
    print(f">> done in {seconds:.0f} s")
    if readme is not None:
        _write_readme(Path(readme), result, seconds)
        print(f"   gain table written into {readme}")
    print(f"   pictures   {out.root}/*_warps.png")
    print(f"   pairs      {', '.join(str(out.pairs(r)) for r in _RECIPES)}")
    print(f"   model      {out.adapter}")
    print(f"   scores     {out.eval}")
    print(f"   cards      {out.hub / 'dataset' / 'README.md'}, {out.hub / 'model' / 'README.md'}")
    print(f"   Space      {out.hub / 'space'}")
    print(f"   step log   {out.log}")
    return out


def _write_readme(readme: Path, result: dict, seconds: float) -> None:
    from .testing.fitted_pair import QUICKSTART_PAIR, format_gain, machine, write_readme_block

    settings = ", ".join(f"{k} {v}" for k, v in QUICKSTART_PAIR.items() if k != "test_pairs_per_type")
    block = (
        f"`timewarp quickstart` on a {machine()}: {seconds:.0f} s for the whole run, of which "
        f"{result['seconds']:.0f} s for step 5b ({settings}); {result['base']['questions']} synthetic test "
        f"questions, likelihood scoring.\n\n{format_gain(result)}"
    )
    write_readme_block(readme, README_MARKERS, block)


class _Runner:
    """Runs one ``timewarp`` subcommand in this process, its printed report appended to the log (and
    returned); a failing step stops the quickstart with the step named and the log to read."""

    def __init__(self, log):
        self.log = log

    def __call__(self, *argv: str) -> str:
        from .commands import main

        self.log.write(f"\n$ timewarp {' '.join(argv)}\n")
        self.log.flush()
        buffer = _Tee(self.log)
        with contextlib.redirect_stdout(buffer):
            status = main(list(argv))
        if status:
            raise SystemExit(
                f"timewarp quickstart: `timewarp {argv[0]}` failed (status {status}); see {self.log.name}"
            )
        return buffer.text


class _Tee:
    """A stdout stand-in that writes to the log and keeps the text."""

    def __init__(self, log):
        self.log, self.parts = log, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.log.write(text)

    def flush(self) -> None:
        self.log.flush()

    @property
    def text(self) -> str:
        return "".join(self.parts)
