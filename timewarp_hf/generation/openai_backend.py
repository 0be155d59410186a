"""Generation through any OpenAI-compatible chat endpoint: OpenAI, ``vllm serve``, ``transformers serve``, TGI.

Built for long builds against rate-limited services: bounded concurrency, an optional requests-per-minute
limit, retries with exponential backoff and jitter on 429/5xx/timeouts/connection errors (honouring
``Retry-After``), a request timeout, and a final error that says what happened. Frames go as image parts
(JPEG data URLs), which every server accepts; the API key is read from the environment at call time and
never stored on the backend, in caches, datasets or logs.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from PIL import Image
from tqdm.auto import tqdm

from .base import GenerationBackend, GenerationRequest

__all__ = ["GenerationError", "OpenAIBackend"]

logger = logging.getLogger(__name__)

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class GenerationError(RuntimeError):
    """A request failed for good (non-retryable status, or retries exhausted)."""


class _RateLimiter:
    """At most ``per_minute`` request starts in any 60 s window, shared by all worker threads."""

    def __init__(self, per_minute: float | None):
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        time.sleep(max(0.0, start - now))


class OpenAIBackend(GenerationBackend):
    """Chat completions over HTTP.

    Args:
        model: the model name the server expects (for ``transformers serve``, the exact served path).
        base_url: endpoint root, e.g. ``http://127.0.0.1:8000/v1`` (default: OpenAI's).
        api_key_env: environment variable holding the key (read per request; never stored).
        max_concurrency: requests in flight at once.
        requests_per_minute: optional client-side rate limit.
        max_retries: retries after the first attempt on retryable failures.
        timeout: seconds per request.
        max_tokens: answer length (always sent: some servers default to 1024 otherwise).
        temperature: 0 for greedy.
        backoff: first retry delay in seconds; doubles each retry, with jitter, capped at ``max_backoff``.
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_concurrency: int = 4,
        requests_per_minute: float | None = None,
        max_retries: int = 5,
        timeout: float = 120.0,
        max_tokens: int = 256,
        temperature: float = 0.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        image_quality: int = 90,
        progress: bool = True,
    ):
        if max_concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ValueError("need max_concurrency >= 1, max_retries >= 0 and timeout > 0")
        self.model_id = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip(
            "/"
        )
        self.api_key_env = api_key_env
        self.max_concurrency, self.max_retries, self.timeout = max_concurrency, max_retries, timeout
        self.max_tokens, self.temperature = max_tokens, temperature
        self.backoff, self.max_backoff, self.image_quality = backoff, max_backoff, image_quality
        self.progress = progress
        self._limiter = _RateLimiter(requests_per_minute)
        self._session = threading.local()

    def cache_namespace(self) -> dict[str, Any]:
        return {
            **super().cache_namespace(),
            "base_url": self.base_url,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    def generate(self, requests_: Sequence[GenerationRequest]) -> list[str]:
        if not requests_:
            return []
        bar = tqdm(
            total=len(requests_),
            desc=f"generating ({self.model_id})",
            unit="call",
            **({} if self.progress else {"disable": True}),  # keeps TQDM_DISABLE=1 working
            leave=False,
        )

        def run(request: GenerationRequest) -> str:
            text = self._complete(request)
            bar.update(1)
            return text

        try:
            with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
                return list(pool.map(run, requests_))
        finally:
            bar.close()

    # ------------------------------------------------------------------ one request
    def payload(self, request: GenerationRequest) -> dict[str, Any]:
        """The JSON body for a request: video parts become one image part per frame."""
        messages = []
        for message in request.messages:
            content = message["content"]
            if isinstance(content, list):
                parts: list[dict[str, Any]] = []
                for part in content:
                    if part["type"] == "video":
                        if request.frames is None:
                            raise ValueError("a message has a video part but the request has no frames")
                        parts.extend(
                            {"type": "image_url", "image_url": {"url": self._data_url(f)}}
                            for f in request.frames
                        )
                    elif part["type"] == "text":
                        parts.append({"type": "text", "text": part["text"]})
                content = parts
            messages.append({"role": message["role"], "content": content})
        return {
            "model": self.model_id,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": request.max_new_tokens or self.max_tokens,
        }

    def _data_url(self, frame) -> str:
        buffer = io.BytesIO()
        Image.fromarray(frame.permute(1, 2, 0).contiguous().numpy()).save(
            buffer, "JPEG", quality=self.image_quality
        )
        return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _http(self) -> requests.Session:
        session = getattr(self._session, "value", None)
        if session is None:
            session = self._session.value = requests.Session()
        return session

    def _complete(self, request: GenerationRequest) -> str:
        body = self.payload(request)
        url = f"{self.base_url}/chat/completions"
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            if attempt:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                time.sleep(max(delay, self._retry_after))
            self._retry_after = 0.0
            self._limiter.wait()
            try:
                response = self._http().post(url, json=body, headers=self._headers(), timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                self._session.value = None  # a broken keep-alive connection must not be reused
                logger.warning("%s attempt %d/%d failed: %s", url, attempt + 1, self.max_retries + 1, last)
                continue
            if response.status_code == 200:
                try:
                    return _read_text(response.json())
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    last = f"malformed response ({exc}): {response.text[:200]!r}"
                    logger.warning("%s attempt %d/%d: %s", url, attempt + 1, self.max_retries + 1, last)
                    continue
            last = f"HTTP {response.status_code}: {response.text[:300]}"
            if response.status_code not in _RETRY_STATUS:
                raise GenerationError(f"{url} refused the request ({last}); not retrying")
            self._retry_after = _retry_after_seconds(response)
            logger.warning("%s attempt %d/%d: %s", url, attempt + 1, self.max_retries + 1, last)
        raise GenerationError(f"{url} failed after {self.max_retries + 1} attempts; last error: {last}")

    _retry_after = 0.0


def _retry_after_seconds(response: requests.Response) -> float:
    try:
        return min(300.0, float(response.headers.get("Retry-After", 0)))
    except ValueError:
        return 0.0


def _read_text(body: dict[str, Any]) -> str:
    content = body["choices"][0]["message"]["content"]
    if isinstance(content, list):  # some servers return content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise TypeError(f"content is {type(content).__name__}")
    return content.strip()
