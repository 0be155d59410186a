"""Generation backends: a batch of requests (chat messages, optionally frames) in, texts out.

``load_backend("Qwen/Qwen2.5-VL-3B-Instruct")`` or a local path gives a local ``transformers`` backend;
``load_backend("openai:gpt-4o-mini")`` (with ``base_url`` for vLLM, ``transformers serve`` or TGI) an HTTP
one. Wrap either in :class:`CachedBackend` to cache responses on disk.
"""

from __future__ import annotations

from typing import Any

from .base import GenerationBackend, GenerationRequest, fingerprint_frames
from .cache import CachedBackend, ResponseCache, default_cache_path
from .openai_backend import GenerationError, OpenAIBackend

__all__ = [
    "CachedBackend",
    "GenerationBackend",
    "GenerationError",
    "GenerationRequest",
    "OpenAIBackend",
    "ResponseCache",
    "TemplateBackend",
    "TransformersBackend",
    "default_cache_path",
    "fingerprint_frames",
    "load_backend",
]

BACKEND_PREFIXES = ("transformers", "openai", "template")


def load_backend(spec: str | GenerationBackend, **options: Any) -> GenerationBackend:
    """A backend from a spec: ``"template"`` (rule-based explicit QA), ``"openai:<model>"``, ``"transformers:<path or id>"``, or a bare path/Hub id
    (``transformers``). ``options`` go to the backend's constructor (``base_url``, ``batch_size``, ...)."""
    if isinstance(spec, GenerationBackend):
        return spec
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"a backend spec must be a non-empty string, got {spec!r}")
    if spec == "template":
        from .template_backend import TemplateBackend

        return TemplateBackend()
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in BACKEND_PREFIXES:
        kind, model = prefix, rest
    else:
        kind, model = "transformers", spec
    if not model:
        raise ValueError(f"backend spec {spec!r} names no model")
    if kind == "openai":
        return OpenAIBackend(model, **options)
    from .transformers_backend import TransformersBackend

    return TransformersBackend(model, **options)


def __getattr__(name: str):  # keep `import timewarp_hf.generation` light: transformers loads on first use
    if name == "TemplateBackend":
        from .template_backend import TemplateBackend

        return TemplateBackend
    if name == "TransformersBackend":
        from .transformers_backend import TransformersBackend

        return TransformersBackend
    raise AttributeError(name)
