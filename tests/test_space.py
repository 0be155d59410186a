"""The demo Space: its repo folder, its upload limits, and the app itself served on 127.0.0.1, driven by a
real headless Chromium (Debian's `chromium` + `chromium-driver`, through Selenium) and by `gradio_client`.
The app runs its default tiny stand-in models, made at test time."""

import importlib.metadata
import os
import re

import pytest
from packaging.requirements import Requirement
from PIL import Image

from timewarp_hf.demo import (
    MAX_UPLOAD_BYTES,
    DemoInputError,
    build_demo,
    check_upload,
    launch_options,
    space_models,
)
from timewarp_hf.hub import stage_space
from timewarp_hf.testing import make_synthetic_video

from .servers import free_port

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# warp_strip rows: 64 px thumbnails + 12 px captions + 4 px gap.
ROW_HEIGHT = 80


@pytest.fixture(scope="module")
def space_app(tmp_path_factory):
    """The app as `timewarp demo` builds it (tiny models, sample videos), served in-thread on a free port."""
    cache = tmp_path_factory.mktemp("demo-cache")
    demo = build_demo(cache_dir=cache, max_new_tokens=12)
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


def test_space_in_headless_chromium(space_app, upload_video, tmp_path):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/test.sh installs them)")
    from selenium import webdriver
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
        wait = WebDriverWait(driver, 60)
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
        screenshot = tmp_path / "space.png"
        driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    with Image.open(screenshot) as picture:
        assert picture.size[0] >= 1000  # kept as the test's artifact


def test_space_through_gradio_client(space_app, upload_video, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(space_app.local_url, verbose=False, download_files=str(tmp_path))
    strip, base, timewarp, report, table, pairs = client.predict(
        handle_file(str(upload_video)),
        "What happens first?",
        ["reverse", "frame_drop"],
        6,
        api_name="/warp_and_answer",
    )
    with Image.open(strip) as picture:
        assert picture.height == 3 * ROW_HEIGHT  # original, reverse, frame_drop
    assert base and timewarp
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
        client.predict(handle_file(str(notes)), "q", ["reverse"], 6, api_name="/warp_and_answer")
