import time

import pytest
import torch

from timewarp_hf.generation import (
    CachedBackend,
    GenerationError,
    GenerationRequest,
    OpenAIBackend,
    ResponseCache,
    TransformersBackend,
    load_backend,
)
from timewarp_hf.recipes.base import text_messages, video_messages

from .servers import ScriptedServer, transformers_serve


def _frames(seed: int, count: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (count, 3, 56, 56), dtype=torch.uint8, generator=g)


def test_load_backend_specs(tiny_lm):
    assert isinstance(load_backend("openai:gpt-4o-mini"), OpenAIBackend)
    backend = load_backend(tiny_lm, max_new_tokens=3, progress=False)
    assert isinstance(backend, TransformersBackend) and not backend.supports_video
    with pytest.raises(ValueError, match="names no model"):
        load_backend("openai:")


def test_transformers_backend_batches_match_single_requests(tiny_vlm):
    backend = TransformersBackend(tiny_vlm, batch_size=4, max_new_tokens=6, progress=False)
    requests = [
        GenerationRequest(video_messages(q), frames=_frames(k), fps=2.0)
        for k, q in enumerate(["What moves?", "Describe the video, in order please.", "Why?"])
    ]
    requests.append(GenerationRequest(text_messages("plain text question")))
    batched = backend.generate(requests)
    single = TransformersBackend(tiny_vlm, batch_size=1, max_new_tokens=6, progress=False).generate(requests)
    assert batched == single and len(batched) == 4


def test_text_model_refuses_frames(tiny_lm):
    backend = TransformersBackend(tiny_lm, max_new_tokens=2, progress=False)
    with pytest.raises(ValueError, match="text-only"):
        backend.generate([GenerationRequest(video_messages("x"), frames=_frames(0))])


def test_response_cache_serves_hits_and_survives_reopen(tmp_path, tiny_vlm):
    calls = []

    class Counting(TransformersBackend):
        def generate(self, requests):
            calls.append(len(requests))
            return super().generate(requests)

    inner = Counting(tiny_vlm, max_new_tokens=4, progress=False)
    requests = [GenerationRequest(video_messages("q"), frames=_frames(k), fps=1.0) for k in range(3)]
    first = CachedBackend(inner, ResponseCache(tmp_path / "c.sqlite")).generate(requests)
    again = CachedBackend(inner, ResponseCache(tmp_path / "c.sqlite"))
    assert (
        again.generate(requests + [GenerationRequest(video_messages("q"), frames=_frames(9), fps=1.0)])[:3]
        == first
    )
    assert calls == [3, 1] and (again.hits, again.misses) == (3, 1)
    # a different frame order is a different request
    flipped = GenerationRequest(video_messages("q"), frames=_frames(0).flip(0), fps=1.0)
    assert flipped.fingerprint() != requests[0].fingerprint()


def test_openai_backend_against_real_transformers_serve(tmp_path, tiny_lm, tiny_vlm, monkeypatch):
    monkeypatch.setenv("TW_TEST_KEY", "sk-planted-secret")
    with transformers_serve(tiny_lm, tmp_path / "serve.log") as url:
        backend = OpenAIBackend(
            tiny_lm, base_url=url, api_key_env="TW_TEST_KEY", max_tokens=8, progress=False
        )
        texts = backend.generate([GenerationRequest(text_messages(f"Say {k}")) for k in range(3)])
        assert len(texts) == 3 and all(isinstance(t, str) for t in texts)
        assert backend.generate([GenerationRequest(text_messages("Say 1"))])[0] == texts[1]  # greedy
    assert "sk-planted-secret" not in repr(backend.__dict__)
    with transformers_serve(tiny_vlm, tmp_path / "serve_vlm.log") as url:  # frames go as image parts
        backend = OpenAIBackend(tiny_vlm, base_url=url, max_tokens=4, progress=False)
        assert isinstance(
            backend.generate(
                [GenerationRequest(video_messages("What moves?"), frames=_frames(1, 2), fps=1.0)]
            )[0],
            str,
        )


def test_openai_payload_sends_frames_as_images_and_the_key_only_in_headers(monkeypatch):
    monkeypatch.setenv("TW_TEST_KEY", "sk-x")
    with ScriptedServer(["ok"]) as server:
        backend = OpenAIBackend(
            "m", base_url=server.url, api_key_env="TW_TEST_KEY", max_tokens=5, progress=False
        )
        assert backend.generate([GenerationRequest(video_messages("q"), frames=_frames(0, 3))]) == [
            "answer 0"
        ]
    sent = server.requests[0]
    parts = sent["body"]["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 3 + ["text"]
    assert parts[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert sent["body"]["max_tokens"] == 5 and sent["auth"] == "Bearer sk-x"
    assert "sk-x" not in str(sent["body"])


def test_openai_backend_retries_429_500_garbage_and_timeouts():
    with ScriptedServer([429, 500, "garbage", "hang", "ok"], hang_seconds=2.0) as server:
        backend = OpenAIBackend(
            "m",
            base_url=server.url,
            max_retries=4,
            timeout=0.5,
            backoff=0.01,
            max_concurrency=1,
            progress=False,
        )
        started = time.monotonic()
        assert backend.generate([GenerationRequest(text_messages("hi"))]) == ["answer 4"]
        assert time.monotonic() - started < 10
    assert len(server.requests) == 5


def test_openai_backend_gives_a_clear_final_error():
    with ScriptedServer([500] * 10) as server:
        backend = OpenAIBackend("m", base_url=server.url, max_retries=2, backoff=0.01, progress=False)
        with pytest.raises(GenerationError, match="failed after 3 attempts; last error: HTTP 500"):
            backend.generate([GenerationRequest(text_messages("hi"))])
    with ScriptedServer([400]) as server:
        backend = OpenAIBackend("m", base_url=server.url, max_retries=5, backoff=0.01, progress=False)
        with pytest.raises(GenerationError, match="HTTP 400.*not retrying"):
            backend.generate([GenerationRequest(text_messages("hi"))])
        assert len(server.requests) == 1


def test_openai_backend_keeps_order_under_concurrency():
    with ScriptedServer(["ok"] * 12) as server:
        backend = OpenAIBackend("m", base_url=server.url, max_concurrency=4, progress=False)
        texts = backend.generate([GenerationRequest(text_messages(f"q{k}")) for k in range(12)])
    by_prompt = {r["body"]["messages"][0]["content"]: k for k, r in enumerate(server.requests)}
    assert texts == [f"answer {by_prompt[f'q{k}']}" for k in range(12)]
