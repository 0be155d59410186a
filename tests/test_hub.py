"""Cards and pushes. Pushes run the real `huggingface_hub` client against a recording Hub on 127.0.0.1
(the routes `create_repo` + `upload_folder` use, answering "regular" uploads so file contents arrive inline
in the commit), and assert the repo, the files, the commit message, the token header, and that no
uploaded file holds the token or a local path."""

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import datasets
import huggingface_hub
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard, ModelCard

from timewarp_hf import hub
from timewarp_hf.cli import main as cli_main
from timewarp_hf.hub import (
    HubAuthError,
    HubLeakError,
    eval_results_from_dict,
    export_dataset,
    render_dataset_card,
    render_model_card,
    stage_model,
    update_model_card,
    validate_dataset_card,
    validate_model_card,
)
from timewarp_hf.pipeline import FEATURES
from timewarp_hf.video import read_info
from timewarp_hf.warps import apply_warp, warp_difficulty

TOKEN = "hf_recordingHubSecretToken0123456789"
EVAL = {"TempCompass": {"accuracy": 0.612}, "Vinoground": {"text": 0.41, "group": 0.2}}


class RecordingHub:
    """The Hub routes `create_repo` and `upload_folder` call, recording every request."""

    def __init__(self):
        self.requests: list[dict] = []
        hub_server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._record(b"")
                self._send(404, {"error": "not a route of the recording Hub"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._record(body)
                parts = self.path.split("?")[0].strip("/").split("/")
                if self.path.startswith("/api/repos/create"):
                    payload = json.loads(body)
                    prefix = {"dataset": "datasets/", "space": "spaces/"}.get(payload.get("type"), "")
                    repo = f"{payload['organization']}/{payload['name']}"
                    self._send(200, {"url": f"{hub_server.url}/{prefix}{repo}"})
                elif self.path.startswith("/api/validate-yaml"):
                    self._send(200, {"errors": [], "warnings": []})
                elif len(parts) == 6 and parts[4] == "preupload":
                    files = json.loads(body)["files"]
                    answer = [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
                    ]
                    self._send(200, {"files": answer})
                elif len(parts) == 6 and parts[4] == "commit":
                    prefix = "" if parts[1] == "models" else f"{parts[1]}/"
                    url = f"{hub_server.url}/{prefix}{parts[2]}/{parts[3]}/commit/{'a' * 40}"
                    self._send(200, {"commitUrl": url, "commitOid": "a" * 40})
                else:
                    self._send(404, {"error": "not a route of the recording Hub"})

            def _record(self, body):
                hub_server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def created(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["path"].startswith("/api/repos/create")]

    def commits(self) -> list[tuple[str, dict, dict[str, bytes]]]:
        """(request path, commit header, {path: content}) of every commit."""
        out = []
        for request in self.requests:
            if "/commit/" not in request["path"]:
                continue
            lines = [json.loads(line) for line in request["body"].splitlines() if line.strip()]
            header = next(line["value"] for line in lines if line["key"] == "header")
            files = {
                line["value"]["path"]: base64.b64decode(line["value"]["content"])
                for line in lines
                if line["key"] == "file"
            }
            out.append((request["path"].split("?")[0], header, files))
        return out


@pytest.fixture()
def recording_hub(monkeypatch, tmp_path):
    """The recording Hub as the endpoint, a token in the environment only, no stored login."""
    server = RecordingHub()
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", server.url)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-stored-token"))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    yield server
    server.close()


def _uploaded_strings(files: dict[str, bytes]) -> dict[str, str]:
    """Every uploaded file as searchable text (Parquet read cell by cell: its pages are compressed)."""
    out = {}
    for path, content in files.items():
        if path.endswith(".parquet"):
            rows = pq.read_table(io.BytesIO(content)).to_pylist()
            out[path] = json.dumps(rows, default=lambda b: "<bytes>")
        else:
            out[path] = content.decode("latin-1")
    return out


def _assert_no_leaks(files: dict[str, bytes], *local_paths):
    for path, text in _uploaded_strings(files).items():
        assert TOKEN not in text, f"{path} holds the token"
        for local in local_paths:
            assert str(local) not in text, f"{path} holds the local path {local}"


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    """A `timewarp build --output` folder as the builder leaves it, with local paths where a build records
    them: the base folder (with a README declaring a license), a local captioner, absolute video paths."""
    from timewarp_hf.testing import make_sample_videos

    root = tmp_path_factory.mktemp("hubdata")
    base = root / "base-videos"
    videos = make_sample_videos(base, 2, num_frames=24)
    (base / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n# My clips\n")
    captioner = str(root / "models" / "tiny-vlm")
    rows = []
    for video in videos:
        count = read_info(video).num_frames
        indices = [round(k * (count - 1) / 7) for k in range(8)]
        for spec in ("reverse", "local_shuffle:window=3"):
            warp = apply_warp(spec, indices, seed=7)
            rows.append(
                {
                    "prompt": [
                        {
                            "role": "user",
                            "content": [
                                {"type": "video", "text": None},
                                {"type": "text", "text": "What happens?"},
                            ],
                        }
                    ],
                    "chosen": [{"role": "assistant", "content": [{"type": "text", "text": "left to right"}]}],
                    "rejected": [
                        {"role": "assistant", "content": [{"type": "text", "text": f"{spec} answer"}]}
                    ],
                    "video": str(video),
                    "video_id": video.stem,
                    "recipe": "warped",
                    "warp": warp.to_json(),
                    "frame_indices": indices,
                    "fps": 8.0,
                    "source": str(base),
                    "generator": f"transformers:{captioner} (prompts tw-1)",
                    "seed": 7,
                    "pair_type": "answer_contrast",
                    "rejected_frame_indices": [],
                    "difficulty": warp_difficulty(indices, warp.indices),
                }
            )
    folder = root / "pairs"
    datasets.Dataset.from_list(rows, features=FEATURES).save_to_disk(str(folder))
    summary = {
        "config": {
            "base": str(base),
            "recipe": "warped",
            "warps": ["reverse", "local_shuffle:window=3"],
            "captioner": captioner,
            "num_frames": 8,
            "max_similarity": 0.9,
            "seed": 7,
        },
        "videos_seen": 3,
        "skipped": {"unreadable": 1},
        "pairs": {"warped/reverse": 2, "warped/local_shuffle": 2},
        "filtered": {"identical": 2},
        "warp_skipped": {"scene_shuffle": 1},
        "num_pairs": 4,
    }
    (folder / "timewarp_summary.json").write_text(json.dumps(summary))
    return folder


@pytest.fixture()
def trainer_output(tmp_path):
    """A trainer output folder: TRL's own model card, a LoRA adapter recording a local base path,
    checkpoints and pickled training arguments (which must not go up)."""
    from trl.trainer.utils import generate_model_card

    folder = tmp_path / "timewarp-dpo"
    (folder / "checkpoint-2").mkdir(parents=True)
    (folder / "checkpoint-2" / "adapter_model.safetensors").write_bytes(b"old")
    (folder / "training_args.bin").write_bytes(f"pickled {folder}".encode())
    (folder / "adapter_model.safetensors").write_bytes(b"\x00weights")
    adapter = {
        "base_model_name_or_path": str(tmp_path / "tiny-vlm"),
        "peft_type": "LORA",
        "r": 128,
        "lora_alpha": 256,
    }
    (folder / "adapter_config.json").write_text(json.dumps(adapter))
    card = generate_model_card(
        base_model="Qwen/Qwen2-VL-2B-Instruct",
        model_name="timewarp-dpo",
        hub_model_id="me/timewarp-dpo",
        dataset_name="me/timewarp-pairs",
        tags=["trl", "dpo", "timewarp", "video"],
        wandb_url=None,
        trackio_url=None,
        trainer_name="DPO",
        trainer_citation="@article{timewarp}",
        paper_title="TimeWarp",
        paper_id="2510.03955",
    )
    card.save(folder / "README.md")
    return folder


# ------------------------------------------------------------------------------------------ cards
def test_dataset_card_from_build_summary(pairs_dir):
    card = render_dataset_card(pairs_dir, repo_id="me/timewarp-pairs")
    validate_dataset_card(card)
    data = DatasetCard(str(card)).data.to_dict()  # what the Hub parses
    assert data["license"] == "cc-by-4.0"  # inherited from the base folder's card
    assert data["task_categories"] == ["video-text-to-text"]
    assert {"timewarp", "dpo", "preference", "video-text-to-text"} <= set(data["tags"])
    assert data["configs"][0]["data_files"][0]["path"] == "data/train-*"
    assert data["dataset_info"]["splits"][0]["num_examples"] == 4
    text = card.text
    assert "| `warped` | `reverse` | 2 |" in text and "| `warped` | `local_shuffle` | 2 |" in text
    for row in (
        "| video skipped | `unreadable` | 1 |",
        "| pair filtered | `identical` | 2 |",
        "| warp not applicable | `scene_shuffle` | 1 |",
    ):
        assert row in text
    assert "`transformers:tiny-vlm (prompts tw-1)`" in text and "version **`tw-1`**" in text
    assert "![An original clip and its warps](images/example_warps.png)" in text
    assert "TimeWarpDPOTrainer(" in text and 'load_dataset("me/timewarp-pairs"' in text
    assert "arXiv:2510.03955" in text
    assert str(pairs_dir.parent) not in str(card)  # no local path in the card


def test_dataset_card_license_and_hub_source(pairs_dir, tmp_path):
    summary = json.loads((pairs_dir / "timewarp_summary.json").read_text())
    summary["config"]["base"] = "HuggingFaceFV/finevideo"
    pairs = datasets.load_from_disk(str(pairs_dir))
    folder = tmp_path / "pairs"
    pairs.save_to_disk(str(folder))
    (folder / "timewarp_summary.json").write_text(json.dumps(summary))
    card = render_dataset_card(folder, repo_id="me/p")  # offline: the Hub card is unreachable
    assert card.data.license == "unknown" and "could not be determined" in card.text
    assert card.data.source_datasets == ["HuggingFaceFV/finevideo"]
    assert "[HuggingFaceFV/finevideo](https://huggingface.co/datasets/HuggingFaceFV/finevideo)" in card.text
    assert render_dataset_card(folder, repo_id="me/p", license="cc-by-4.0").data.license == "cc-by-4.0"
    card.data.tags = ["dpo"]
    with pytest.raises(ValueError, match=r"tags lack \['preference', 'timewarp', 'video-text-to-text'\]"):
        validate_dataset_card(card)


def test_model_card_renders_model_index(tmp_path):
    card = render_model_card(
        model_name="qwen2-vl-timewarp",
        base_model="Qwen/Qwen2-VL-2B-Instruct",
        repo_id="me/qwen2-vl-timewarp",
        dataset="me/timewarp-pairs",
        eval_results=EVAL,
        hyperparameters={"beta": 0.1, "learning rate": 5e-7, "LoRA target_modules": ["q_proj", "v_proj"]},
        training_data={"preference pairs": 4, "recipe": "warped"},
        license="apache-2.0",
        adapter=True,
    )
    validate_model_card(card)
    parsed = ModelCard(str(card)).data
    index = parsed.to_dict()["model-index"]
    assert index[0]["name"] == "qwen2-vl-timewarp"
    results = {
        (r["dataset"]["type"], m["type"]): m["value"] for r in index[0]["results"] for m in r["metrics"]
    }
    assert results == {
        ("lmms-eval/TempCompass", "accuracy"): 0.612,
        ("HanSolo9682/Vinoground", "text"): 0.41,
        ("HanSolo9682/Vinoground", "group"): 0.2,
    }
    assert all(r["task"]["type"] == "video-text-to-text" for r in index[0]["results"])
    assert parsed.base_model == "Qwen/Qwen2-VL-2B-Instruct" and parsed.datasets == ["me/timewarp-pairs"]
    assert parsed.library_name == "peft" and parsed.pipeline_tag == "video-text-to-text"
    for heading in (
        "## Training data and recipe",
        "### Hyperparameters",
        "## Evaluation",
        "## Intended use",
        "## Limitations",
        "## Citation",
    ):
        assert heading in card.text
    assert "| beta | 0.1 |" in card.text and "| TempCompass | accuracy | 0.612 |" in card.text
    with pytest.raises(ValueError, match="must be a number"):
        eval_results_from_dict({"TempCompass": {"accuracy": "high"}})


def test_update_model_card_completes_trls_card_once(trainer_output):
    card = update_model_card(trainer_output / "README.md", eval_results=EVAL, license="apache-2.0")
    card = update_model_card(card, eval_results={"TempCompass": {"accuracy": 0.7}})  # after a new eval
    validate_model_card(card)
    assert (
        card.text.count("<!-- timewarp-hf:begin -->") == 1 and "| TempCompass | accuracy | 0.7 |" in card.text
    )
    assert card.text.index("## Evaluation") < card.text.index("## Citations")  # inside TRL's layout
    assert "It has been trained using [TRL]" in card.text  # TRL's own text is kept
    data = ModelCard(str(card)).data.to_dict()
    assert data["model-index"][0]["results"][0]["metrics"][0]["value"] == 0.7
    assert {"timewarp", "trl", "dpo", "video-text-to-text"} <= set(data["tags"])
    assert data["license"] == "apache-2.0" and data["pipeline_tag"] == "video-text-to-text"
    assert "licence" not in data  # TRL's placeholder key is dropped


def test_stage_model_leaves_out_checkpoints_and_local_paths(trainer_output, tmp_path):
    (trainer_output / "README.md").unlink()  # a folder without a card gets the full TimeWarp card
    (trainer_output / "trainer_state.json").write_text(
        json.dumps(
            {
                "num_train_epochs": 3,
                "train_batch_size": 2,
                "global_step": 6,
                "best_model_checkpoint": str(trainer_output / "checkpoint-2"),
                "log_history": [{"learning_rate": 5e-7}, {"learning_rate": 2e-7}],
            }
        )
    )
    out = stage_model(
        trainer_output, tmp_path / "stage", repo_id="me/tw", base_model="Qwen/Qwen2-VL-2B-Instruct"
    )
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["README.md", "adapter_config.json", "adapter_model.safetensors", "trainer_state.json"]
    assert (
        json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"]
        == "Qwen/Qwen2-VL-2B-Instruct"
    )
    assert json.loads((out / "trainer_state.json").read_text())["best_model_checkpoint"] == "checkpoint-2"
    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == "Qwen/Qwen2-VL-2B-Instruct" and card.data.library_name == "peft"
    assert "| LoRA r | 128 |" in card.text and "| peak learning rate | 5e-07 |" in card.text
    assert hub.find_leaks(out, local_paths=[str(tmp_path)]) == []


def test_example_picture_shows_what_made_the_rejected_answers(pairs_dir):
    pairs = datasets.load_from_disk(str(pairs_dir))
    assert hub.example_picture(pairs).height == 3 * 80  # original, reverse, local_shuffle (80 px rows)
    corrupted = pairs.map(
        lambda row: {
            "recipe": "implicit",
            "warp": json.dumps({"name": "downscale", "params": {"size": 20}, "seed": 3}),
        }
    )
    assert hub.example_picture(corrupted).height == 2 * 80  # original, downscaled
    captions_only = pairs.map(
        lambda row: {"recipe": "explicit", "warp": json.dumps({"name": "scene_shuffle", "indices": None})}
    )
    assert hub.example_picture(captions_only) is None  # explicit warps act on captions: nothing to draw


# ------------------------------------------------------------------------------------------ pushes
def test_push_dataset_dry_run_is_exactly_what_goes_up(pairs_dir, tmp_path, recording_hub, capsys):
    dry = tmp_path / "dry"
    assert cli_main(["push", "dataset", str(pairs_dir), "me/timewarp-pairs", "--dry-run", str(dry)]) == 0
    assert recording_hub.requests == []  # a dry run sends nothing
    report = json.loads(capsys.readouterr().out)
    staged = {p.relative_to(dry).as_posix(): p.read_bytes() for p in dry.rglob("*") if p.is_file()}
    assert set(staged) == {
        "README.md",
        "data/train-00000-of-00001.parquet",
        "images/example_warps.png",
        "timewarp_summary.json",
    }
    assert report["files"] == sorted(staged) and report["leaks"] == []

    assert cli_main(["push", "dataset", str(pairs_dir), "me/timewarp-pairs"]) == 0
    assert recording_hub.created() == [{"name": "timewarp-pairs", "organization": "me", "type": "dataset"}]
    [(path, header, files)] = recording_hub.commits()
    assert path == "/api/datasets/me/timewarp-pairs/commit/main"
    assert header["summary"] == "Upload 4 TimeWarp preference pairs (timewarp-hf 0.1.0)"
    assert files == staged  # byte for byte what the dry run wrote
    assert all(r["headers"].get("authorization") == f"Bearer {TOKEN}" for r in recording_hub.requests)
    _assert_no_leaks(files, pairs_dir.parent, tmp_path)
    uploaded = pq.read_table(io.BytesIO(files["data/train-00000-of-00001.parquet"])).to_pylist()
    assert {r["source"] for r in uploaded} == {"base-videos"}
    assert {r["video"]["path"] for r in uploaded} == {"sample_00_right.mp4", "sample_01_left.mp4"}
    assert all(r["video"]["bytes"] for r in uploaded)
    assert files["images/example_warps.png"].startswith(b"\x89PNG")


def test_exported_folder_loads_back_with_videos(pairs_dir, tmp_path):
    out = export_dataset(pairs_dir, tmp_path / "repo", repo_id="me/p")
    loaded = datasets.load_dataset(str(out), split="train")
    assert len(loaded) == 4 and isinstance(loaded.features["video"], datasets.Video)
    assert loaded[0]["video"].metadata.num_frames == 24
    with pytest.raises(FileExistsError, match="not empty"):
        export_dataset(pairs_dir, out, repo_id="me/p")
    sharded = export_dataset(pairs_dir, tmp_path / "sharded", repo_id="me/p", max_shard_bytes=1)
    assert sorted(p.name for p in (sharded / "data").iterdir())[-1] == "train-00003-of-00004.parquet"
    assert len(datasets.load_dataset(str(sharded), split="train")) == 4


def test_push_model_and_space_through_http(trainer_output, tmp_path, recording_hub):
    eval_file = tmp_path / "eval.json"
    eval_file.write_text(json.dumps(EVAL))
    assert (
        cli_main(
            [
                "push",
                "model",
                str(trainer_output),
                "me/tw-model",
                "--eval-results",
                str(eval_file),
                "--commit-message",
                "TimeWarp DPO, epoch 3",
            ]
        )
        == 0
    )
    assert (
        cli_main(
            [
                "push",
                "space",
                "me/tw-demo",
                "--base-model",
                "Qwen/Qwen2-VL-2B-Instruct",
                "--timewarp-model",
                "me/tw-model",
                "--private",
            ]
        )
        == 0
    )
    model_repo, space_repo = recording_hub.created()
    assert model_repo == {"name": "tw-model", "organization": "me", "type": "model"}
    assert space_repo == {
        "name": "tw-demo",
        "organization": "me",
        "type": "space",
        "sdk": "gradio",
        "visibility": "private",
    }
    (model_path, model_header, model_files), (space_path, _, space_files) = recording_hub.commits()
    assert (
        model_path == "/api/models/me/tw-model/commit/main"
        and model_header["summary"] == "TimeWarp DPO, epoch 3"
    )
    assert set(model_files) == {"README.md", "adapter_config.json", "adapter_model.safetensors"}
    adapter = json.loads(model_files["adapter_config.json"])
    assert (
        adapter["base_model_name_or_path"] == "Qwen/Qwen2-VL-2B-Instruct"
    )  # from TRL's card, not the local path
    card = ModelCard(model_files["README.md"].decode())
    assert card.data.eval_results and card.data.model_name == "timewarp-dpo"
    assert space_path == "/api/spaces/me/tw-demo/commit/main"
    assert {
        "app.py",
        "README.md",
        "packages.txt",
        "requirements.txt",
        "timewarp_demo.json",
        "timewarp_hf/demo.py",
    } <= set(space_files)
    assert json.loads(space_files["timewarp_demo.json"]) == {
        "base_model": "Qwen/Qwen2-VL-2B-Instruct",
        "timewarp_model": "me/tw-model",
    }
    _assert_no_leaks({**model_files, **space_files}, trainer_output, tmp_path, Path.cwd())


def test_push_needs_a_token_and_refuses_leaks(tmp_path, recording_hub, monkeypatch):
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "notes.md").write_text(f"trained in {tmp_path}/run\n")
    with pytest.raises(HubLeakError, match=r"notes.md: local path"):
        hub.push_folder(folder, "me/x", repo_type="model", commit_message="m", local_paths=[tmp_path])
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubAuthError, match="hf auth login"):
        hub.push_folder(folder, "me/x", repo_type="model", commit_message="m")
    assert recording_hub.requests == []  # refused before any request


def test_push_parser_has_no_token_option(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli_main(["push", "dataset", "pairs", "me/x", "--token", TOKEN])
    assert "unrecognized arguments: --token" in capsys.readouterr().err
    assert cli_main(["push", "space", "me/x", "--dry-run", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "app.py").is_file()


def test_update_model_card_drops_a_local_base_model(tmp_path):
    from huggingface_hub import ModelCard, ModelCardData

    from timewarp_hf.hub import update_model_card

    local = tmp_path / "models" / "tiny"
    local.mkdir(parents=True)
    card = ModelCard.from_template(
        ModelCardData(base_model=str(local), tags=[f"base_model:adapter:{local}", "trl"])
    )
    data = update_model_card(card).data
    assert data.base_model is None and not any(t.startswith("base_model:") for t in data.tags)
    hub = update_model_card(
        ModelCard.from_template(
            ModelCardData(
                base_model="Qwen/Qwen2.5-VL-3B-Instruct",
                tags=["base_model:adapter:Qwen/Qwen2.5-VL-3B-Instruct"],
            )
        )
    ).data
    assert hub.base_model == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert "base_model:adapter:Qwen/Qwen2.5-VL-3B-Instruct" in hub.tags


def test_staged_card_loads_the_repo_where_the_trainer_card_loads_its_folder(trainer_output, tmp_path):
    """The trainer's quick start names its output folder (right locally); the staged card names the repo."""
    card = ModelCard.load(trainer_output / "README.md")
    card.text += (
        f'\n```python\nmodel = AutoModelForImageTextToText.from_pretrained("{trainer_output}")\n```\n'
    )
    card.save(trainer_output / "README.md")
    out = stage_model(
        trainer_output,
        tmp_path / "stage",
        repo_id="me/tw",
        eval_results={"synthetic_temporal": {"accuracy": 0.5}},  # no Hub dataset: keeps its name
    )
    text = (out / "README.md").read_text()
    assert 'from_pretrained("me/tw")' in text and str(trainer_output) not in text
    assert hub.find_leaks(out, local_paths=[str(tmp_path)]) == []
    (entry,) = ModelCard.load(out / "README.md").data.eval_results
    assert entry.dataset_type == entry.dataset_name == "synthetic_temporal"
    assert f'from_pretrained("{trainer_output}")' in (trainer_output / "README.md").read_text()


def test_model_index_records_the_benchmark_version_scored(trainer_output, tmp_path):
    """`timewarp compare --output x.json` writes x.datasets.json beside it; push reads both."""
    results = tmp_path / "eval" / "model_index.json"
    results.parent.mkdir()
    results.write_text(json.dumps({"TempCompass": {"accuracy": 0.61}}))
    version = {
        "id": "lmms-eval/TempCompass",
        "config": "multi-choice",
        "split": "test",
        "revision": "abc123",
        "rows": 1580,
    }
    results.with_suffix(".datasets.json").write_text(json.dumps({"TempCompass": version}))
    out = tmp_path / "stage"
    argv = [
        "push",
        "model",
        str(trainer_output),
        "me/tw",
        "--eval-results",
        str(results),
        "--dry-run",
        str(out),
    ]
    assert cli_main(argv) == 0
    (entry,) = ModelCard.load(out / "README.md").data.eval_results
    assert (entry.dataset_type, entry.dataset_revision, entry.dataset_config, entry.dataset_split) == (
        "lmms-eval/TempCompass",
        "abc123",
        "multi-choice",
        "test",
    )
    assert entry.dataset_args == {"rows": 1580} and entry.metric_value == 0.61
