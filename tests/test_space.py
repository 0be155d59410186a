"""The demo Space: its repo folder, its upload limits, and the app itself served on 127.0.0.1, driven by a
real headless Chromium (Debian's `chromium` + `chromium-driver`, through Selenium) and by `gradio_client`.
The app runs its default models: the quickstart's fitted base and its TimeWarp-trained copy, installed into
the app's cache folder as `timewarp quickstart` does. The pair is made once (about a minute, the fitted base
shared with the miniature run) and kept under the miniature cache between runs.

`TIMEWARP_WRITE_SCREENSHOT=1` makes the browser test write its screenshot to docs/images/space.png (the
README's picture) instead of the test's temporary folder."""

import importlib.metadata
import os
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from PIL import Image

from timewarp_hf.demo import (
    MAX_UPLOAD_BYTES,
    PAIR_FOLDER,
    DemoInputError,
    build_demo,
    check_upload,
    launch_options,
    space_models,
)
from timewarp_hf.hub import stage_space
from timewarp_hf.testing import make_synthetic_video
from timewarp_hf.testing.fitted_pair import fitted_pair, install_pair
from timewarp_hf.testing.fitting import default_base_cache

from .servers import free_port

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# warp_strip rows: 64 px thumbnails + 12 px captions + 4 px gap.
ROW_HEIGHT = 80
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "images" / "space.png"


@pytest.fixture(scope="module")
def quickstart_pair():
    """The quickstart's base/TimeWarp pair, reused from the miniature cache (made there when missing)."""
    return fitted_pair(default_base_cache() / "demo-pair")


@pytest.fixture(scope="module")
def space_app(tmp_path_factory, quickstart_pair):
    """The app as `timewarp demo` builds it after a quickstart (its pair installed in the cache folder, no
    model flags), served in-thread on a free port."""
    cache = tmp_path_factory.mktemp("demo-cache")
    install_pair(Path(quickstart_pair["base_model"]).parent, cache / PAIR_FOLDER)
    demo = build_demo(cache_dir=cache)
    demo.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
        **launch_options(),
    )
    yield demo
    demo.close()


@pytest.fixture(scope="module")
def sample_answers(space_app, quickstart_pair, tmp_path_factory):
    """Every sample clip asked its own question with its options through the app's API, as a visitor
    clicking it and "Warp and answer" does: ``(sample, answers, picks, report)`` per sample, answers and
    picks as ``(base, TimeWarp)``."""
    from gradio_client import Client, handle_file

    client = Client(space_app.local_url, verbose=False, download_files=str(tmp_path_factory.mktemp("dl")))
    answers = []
    for sample in quickstart_pair["samples"]:
        _, base, timewarp, base_pick, timewarp_pick, report, _, _ = client.predict(
            handle_file(sample["video"]),
            sample["question"],
            "\n".join(sample["options"]),
            ["reverse"],
            8,
            api_name="/warp_and_answer",
        )
        answers.append((sample, (base, timewarp), (base_pick, timewarp_pick), report))
    return answers


def _verdicts(sample: dict, picks: tuple[str, str]) -> dict[str, bool]:
    return {name: pick == sample["answer"] for name, pick in zip(("base", "TimeWarp"), picks)}


@pytest.fixture(scope="module")
def upload_video(tmp_path_factory):
    """What a visitor uploads: three hard-cut scenes, a square moving right."""
    return make_synthetic_video(
        tmp_path_factory.mktemp("upload") / "my clip.mp4", num_frames=32, scenes=[12, 10, 10]
    )


def test_space_folder_has_front_matter_requirements_and_package(tmp_path):
    import gradio
    from huggingface_hub import SpaceCard

    out = stage_space(
        tmp_path / "space", base_model="Qwen/Qwen2-VL-2B-Instruct", timewarp_model="me/tw-model"
    )
    card = SpaceCard.load(out / "README.md")
    assert card.data.sdk == "gradio" and card.data.sdk_version == gradio.__version__
    assert card.data.python_version == "3.11" and (out / card.data.app_file).is_file()
    assert card.data.models == ["Qwen/Qwen2-VL-2B-Instruct", "me/tw-model"]
    assert "ffmpeg" in (out / "packages.txt").read_text().split()
    pinned = [
        Requirement(x) for x in (out / "requirements.txt").read_text().splitlines() if x and x[0] != "#"
    ]
    declared = [Requirement(x) for x in importlib.metadata.requires("timewarp-hf") if "extra ==" not in x]
    assert {(r.name, r.specifier) for r in pinned} == {(r.name, r.specifier) for r in declared}
    assert (out / "timewarp_hf" / "demo.py").is_file() and not list(out.rglob("__pycache__"))
    assert space_models(out) == {"base_model": "Qwen/Qwen2-VL-2B-Instruct", "timewarp_model": "me/tw-model"}
    assert (out / "app.py").read_text().count("\n") < 15  # the app lives in timewarp_hf.demo
    with pytest.raises(ValueError, match="both"):
        stage_space(tmp_path / "other", base_model="Qwen/Qwen2-VL-2B-Instruct")


def test_uploads_are_limited_in_type_size_and_length(tmp_path):
    with pytest.raises(DemoInputError, match="upload a video"):
        check_upload(None)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    with pytest.raises(DemoInputError, match=r"\.txt is not accepted"):
        check_upload(notes)
    big = tmp_path / "big.mp4"
    with open(big, "wb") as handle:
        handle.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(DemoInputError, match="the limit is 20 MB"):
        check_upload(big)
    long = make_synthetic_video(tmp_path / "long.mp4", num_frames=62, fps=1)
    with pytest.raises(DemoInputError, match="lasts 62 s; the limit is 60 s"):
        check_upload(long)
    assert launch_options()["max_file_size"] == MAX_UPLOAD_BYTES  # also enforced by Gradio's server


def test_demo_command_options():
    from timewarp_hf.commands import COMMANDS, parser_for

    (args,) = parser_for(COMMANDS["demo"]).parse_args_and_config([])
    assert (args.host, args.port, args.base_model, args.timewarp_model) == ("127.0.0.1", 7860, None, None)
    with pytest.raises(ValueError, match="give both"):
        parser_for(COMMANDS["demo"]).parse_args_and_config(["--base-model", "Qwen/Qwen2-VL-2B-Instruct"])


def test_space_in_headless_chromium(space_app, upload_video, sample_answers, tmp_path):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/test.sh installs them)")
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1700",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")), options=options
    )
    try:
        wait = WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,))  # re-renders
        driver.get(space_app.local_url)
        upload = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "#input-video input[type=file]"))
        )
        assert "video/*" in upload.get_attribute("accept")  # the picker offers videos only
        upload.send_keys(str(upload_video))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#input-video video")))
        driver.find_element(By.CSS_SELECTOR, "#run").click()

        def rendered(d):
            answers = [
                e.get_attribute("value")
                for e in d.find_elements(By.CSS_SELECTOR, "#answer-base textarea, #answer-timewarp textarea")
            ]
            images = d.find_elements(By.CSS_SELECTOR, "#warp-strip img")
            height = (
                d.execute_script("return arguments[0].complete && arguments[0].naturalHeight", images[0])
                if images
                else 0
            )
            return (answers, height) if len(answers) == 2 and all(answers) and height else False

        answers, strip_height = wait.until(rendered)
        # The original row, then reverse, scene_shuffle and local_shuffle (the defaults; three scenes).
        assert strip_height == 4 * ROW_HEIGHT
        report = driver.find_element(By.CSS_SELECTOR, "#pair-report").text
        assert "kept by the builder's quality filter" in report
        table = driver.find_element(By.CSS_SELECTOR, "#pairs-table").text
        assert "reverse" in table or "identical" in report

        # A sample clip, picked as a visitor does: its row fills in the video, its question and options.
        # Shown: the first sample on which the two models' picks disagree (all are checked below).
        index = next(
            i
            for i, (s, _, picks, _) in enumerate(sample_answers)
            if len(set(_verdicts(s, picks).values())) > 1
        )
        sample, answers, picks, _ = sample_answers[index]
        name = Path(sample["video"]).name
        driver.find_element(By.CSS_SELECTOR, f'#samples [data-testid="dataset-cell-{index}-0"]').click()
        wait.until(
            lambda d: (
                name in (d.find_element(By.CSS_SELECTOR, "#input-video video").get_attribute("src") or "")
            )
        )
        value = lambda css: driver.find_element(By.CSS_SELECTOR, css).get_attribute("value")  # noqa: E731
        assert value("#question textarea") == sample["question"]
        assert value("#options textarea").splitlines() == sample["options"]
        driver.find_element(By.CSS_SELECTOR, "#run").click()
        wait.until(lambda d: "True answer" in d.find_element(By.CSS_SELECTOR, "#pair-report").text)
        # What the page shows is what the app answered through its API.
        assert (value("#answer-base textarea"), value("#answer-timewarp textarea")) == answers
        assert (value("#choice-base textarea"), value("#choice-timewarp textarea")) == picks
        words = {k: "right" if v else "wrong" for k, v in _verdicts(sample, picks).items()}
        report = driver.find_element(By.CSS_SELECTOR, "#pair-report").text
        assert (
            f"True answer for this sample: {sample['answer']} (picking among the options: "
            f"base {words['base']}, TimeWarp {words['TimeWarp']})." in report
        )
        screenshot = (
            SCREENSHOT if os.environ.get("TIMEWARP_WRITE_SCREENSHOT") == "1" else tmp_path / "space.png"
        )
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    with Image.open(screenshot) as picture:
        assert picture.size[0] >= 1000  # kept as the test's artifact (the README's picture with the env var)


def _worded(sample_answers) -> dict[str, int]:
    """On how many samples each model's free answer is one of the options, word for word."""
    worded = {"base": 0, "TimeWarp": 0}
    for sample, answers, _, _ in sample_answers:
        for name, answer in zip(worded, answers):
            worded[name] += answer.strip() in sample["options"]
    return worded


def _table(sample_answers) -> str:
    return "\n".join(f"{s['video']}: {s['answer']!r} answers {a} picks {p}" for s, a, p, _ in sample_answers)


def test_the_sample_clips_show_timewarp_right_more_often_than_the_base(sample_answers):
    """The default pair on its sample clips (the first clip and its exact reversal of every order-dependent
    type in the synthetic test split), each asked its question with its options: the page says who picked
    the clip's known answer, TimeWarp picks it on more clips than the base, and the fitted base answers in
    the options' words on most clips (it speaks the benchmark's answers; a random model does not)."""
    from timewarp_hf.constants import ORDER_DEPENDENT_TYPES as ORDER_TYPES

    assert [s["category"] for s, *_ in sample_answers] == [t for t in ORDER_TYPES for _ in range(2)]
    right = {"base": 0, "TimeWarp": 0}
    for sample, _, picks, report in sample_answers:
        assert set(picks) <= set(sample["options"])
        verdicts = _verdicts(sample, picks)
        words = {k: "right" if v else "wrong" for k, v in verdicts.items()}
        assert report.startswith(
            f"**True answer** for this sample: *{sample['answer']}* (picking among the options: "
            f"base {words['base']}, TimeWarp {words['TimeWarp']})."
        )
        right = {k: right[k] + verdicts[k] for k in right}
    assert right["TimeWarp"] > right["base"], f"right picks {right}\n{_table(sample_answers)}"
    worded = _worded(sample_answers)
    assert worded["base"] > len(sample_answers) // 2, f"free answers that are an option {worded}"


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="measured 2026-12-01 (the quickstart's pair, seed 0): the TimeWarp copy's free answer is one of "
    "the options on 4 of the 10 samples (the base: 8), e.g. 'slyeds up' for 'speeds up'; DPO on byte-level "
    "tokens garbles its spelling even with the SFT term (58% of free answers valid on the validation "
    "split, vs 2% without it). Strict, so CI turns red the day it holds.",
)
def test_timewarp_free_answers_are_in_the_options_words(sample_answers):
    worded = _worded(sample_answers)
    assert worded["TimeWarp"] > len(sample_answers) // 2, f"{worded}\n{_table(sample_answers)}"


def test_space_through_gradio_client(space_app, upload_video, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(space_app.local_url, verbose=False, download_files=str(tmp_path))
    strip, base, timewarp, base_pick, timewarp_pick, report, table, pairs = client.predict(
        handle_file(str(upload_video)),
        "What happens first?",
        "",  # no options: nothing picked, free answers only
        ["reverse", "frame_drop"],
        6,
        api_name="/warp_and_answer",
    )
    with Image.open(strip) as picture:
        assert picture.height == 3 * ROW_HEIGHT  # original, reverse, frame_drop
    assert base and timewarp and not base_pick and not timewarp_pick
    dropped = sum(int(n) for n in re.findall(r"(\d+) \w+[,.]", report.partition("Dropped:")[2]))
    assert report.startswith(f"**{len(pairs)} preference pair") and len(pairs) + dropped == 2
    assert len(table["data"]) == len(pairs)
    for pair in pairs:  # exactly the builder's rows: the chosen answer is the base model on the true frames
        assert pair["recipe"] == "warped" and pair["warp"]["name"] in ("reverse", "frame_drop")
        assert pair["prompt"][0]["content"][1]["text"] == "What happens first?"
        assert pair["chosen"][0]["content"][0]["text"] == base
        assert len(pair["frame_indices"]) == 6
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    with pytest.raises(AppError, match="is not accepted"):
        client.predict(handle_file(str(notes)), "q", "", ["reverse"], 6, api_name="/warp_and_answer")
    with pytest.raises(AppError, match="at least two options"):
        client.predict(
            handle_file(str(upload_video)), "q", "yes", ["reverse"], 6, api_name="/warp_and_answer"
        )
