"""No API key or Hub token ends up in datasets, cards, logs, caches or upload folders: a full run with
planted secrets, then every artifact is searched for them."""

import logging
import os

from timewarp_hf.cli import main

from ..servers import ScriptedServer

API_KEY = "sk-PLANTED-api-key-0123456789"
HUB_TOKEN = "hf_PLANTEDhubtoken0123456789abcdef"


def _files_containing(root, needle: bytes):
    hits = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                if needle in handle.read():
                    hits.append(path)
    return hits


def test_planted_secrets_never_reach_any_artifact(
    tmp_path, monkeypatch, caplog, capsys, isolated_datasets_cache
):
    monkeypatch.setenv("TW_PLANTED_KEY", API_KEY)
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    caplog.set_level(logging.DEBUG)
    videos, out = tmp_path / "videos", tmp_path / "out"
    assert main(["samples", str(videos), "--count", "2", "--num-frames", "16"]) == 0
    with ScriptedServer([]) as server:  # answers every request with a distinct text
        assert (
            main(
                [
                    "build",
                    "--base",
                    str(videos),
                    "--captioner",
                    "openai:served-model",
                    "--api-base",
                    server.url,
                    "--api-key-env",
                    "TW_PLANTED_KEY",
                    "--warps",
                    "reverse",
                    "--output",
                    str(out / "pairs"),
                    "--response-cache",
                    str(tmp_path / "responses.sqlite"),
                    "--llava-hound",
                    str(out / "llava.json"),
                ]
            )
            == 0
        )
    assert server.requests and all(r["auth"] == f"Bearer {API_KEY}" for r in server.requests)  # it was used
    assert main(["push", "dataset", str(out / "pairs"), "me/pairs", "--dry-run", str(out / "upload")]) == 0
    assert main(["preview", str(videos), "--output", str(out / "preview")]) == 0
    printed = capsys.readouterr()
    logs = caplog.text + printed.out + printed.err
    for secret in (API_KEY, HUB_TOKEN):
        assert secret not in logs
        for root in (out, tmp_path / "responses.sqlite", isolated_datasets_cache):
            target = root if os.path.isdir(root) else os.path.dirname(root)
            assert _files_containing(target, secret.encode()) == [], f"{secret} leaked under {target}"
    uploaded = list((out / "upload").rglob("*"))
    assert any(p.name == "README.md" for p in uploaded)
    assert _files_containing(out / "upload", str(tmp_path).encode()) == []  # no local path in the upload
