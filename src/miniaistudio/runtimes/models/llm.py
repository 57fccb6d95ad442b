"""Local language models: GGUF files run by llama.cpp (llama-cpp-python), kept warm in the model cache.

A model is loaded once into the host's :class:`~.model_cache.ModelCache` (sized by its file) and
shared by every node that uses it. A llama.cpp context is not thread-safe, so generation holds
the entry's run lock; tokens stream to a callback that may raise to stop (cancel) between tokens.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..packages import require_package
from . import assets
from .model_cache import ModelCache, path_bytes

LLAMA_PACKAGE = "llama-cpp-python==0.3.36"
DEFAULT_CONTEXT = 2048
# open_llama patches a llama.cpp module function while it constructs a model: two different
# models loading at once (the cache only serialises loads of one key) must take turns.
_DEFAULTS_PATCH_LOCK = threading.Lock()


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int
    prompt_tokens: int
    seconds: float
    stopped_by: str  # "stop" (a stop sequence or end of text) | "length"

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def _llama_class() -> Any:
    return require_package("llama_cpp", LLAMA_PACKAGE, "llama.cpp", code="LLM_RUNTIME_MISSING").Llama


def threads() -> int:
    """llama.cpp threads: ``MINIAI_LLM_THREADS``, else half the cores (at least one).

    The executor runs two nodes at once and llama.cpp's worker threads spin while they
    wait, so on a busy 2-core machine one thread generates faster than two.
    """
    configured = os.environ.get("MINIAI_LLM_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, (os.cpu_count() or 2) // 2)


def extra_buffers_allowed() -> bool:
    """Whether llama.cpp may use its extra weight buffers (AMX tiles, repacked layouts).

    Virtual machines often advertise AMX (``amx_tile`` in /proc/cpuinfo) without letting
    programs use it; llama.cpp then dies with SIGILL on its first AMX instruction. So the
    extra buffers are off when the CPU advertises AMX, unless ``MINIAI_LLM_EXTRA_BUFFERS=1``.
    """
    forced = os.environ.get("MINIAI_LLM_EXTRA_BUFFERS", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return True
    return "amx_tile" not in cpuinfo


def open_llama(llama: Any, path: Path, n_ctx: int = DEFAULT_CONTEXT) -> Any:
    """Llama(...) with ``use_extra_bufts`` set as :func:`extra_buffers_allowed` says.

    llama-cpp-python does not take that model parameter as an argument; it reads the
    defaults from ``llama_model_default_params`` while constructing, so that function is
    wrapped for the duration of the call, one construction at a time.
    """
    import llama_cpp.llama_cpp as low

    kwargs: dict[str, Any] = {"model_path": str(path), "n_ctx": n_ctx, "n_threads": threads(),
                              "n_threads_batch": threads(), "n_batch": 512, "seed": 0, "verbose": False}
    if extra_buffers_allowed() or not hasattr(low.llama_model_params, "use_extra_bufts"):
        return llama(**kwargs)
    with _DEFAULTS_PATCH_LOCK:
        original = low.llama_model_default_params

        def defaults() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = defaults
        try:
            return llama(**kwargs)
        finally:
            low.llama_model_default_params = original


def cache_key(model_name: str, n_ctx: int = DEFAULT_CONTEXT) -> str:
    return f"llm:{model_name}@ctx{n_ctx}"


def _open(path: Path, n_ctx: int) -> tuple[Any, int]:
    return open_llama(_llama_class(), path, n_ctx), path_bytes(path)  # weights are mmapped: file size


def _close(llm: Any) -> None:
    llm.close()


def generate(
    model_name: str,
    prompt: str,
    *,
    max_tokens: int,
    temperature: float,
    seed: int,
    stop: Sequence[str] = (),
    top_p: float = 0.95,
    top_k: int = 40,
    repeat_penalty: float = 1.15,
    on_text: Callable[[str, int], None] | None = None,
    cache: ModelCache,
) -> Generation:
    """Complete ``prompt``; ``on_text(partial_text, n_tokens)`` is called after every token.

    ``on_text`` may raise (e.g. ``Canceled``) to stop between tokens; the exception propagates.
    ``temperature`` 0 is greedy decoding; otherwise ``seed`` fixes the sampling. The model stays
    warm in ``cache``.
    """
    path = assets.llm_path(model_name)
    with cache.lease(cache_key(model_name), lambda: _open(path, DEFAULT_CONTEXT),
                     estimate_bytes=path_bytes(path), close=_close) as lease, lease.run_lock:
        llm = lease.value
        prompt_tokens = len(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False))
        budget = max(1, min(max_tokens, llm.n_ctx() - prompt_tokens - 1))
        start = time.perf_counter()
        pieces: list[str] = []
        finish = "stop"
        n = 0
        stream = llm.create_completion(
            prompt, max_tokens=budget, temperature=max(0.0, temperature), top_p=top_p, top_k=top_k,
            repeat_penalty=repeat_penalty, seed=seed, stop=list(stop) or None, stream=True,
        )
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                piece = choice.get("text") or ""
                n += 1
                if piece:
                    pieces.append(piece)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
                if on_text is not None:
                    on_text("".join(pieces), n)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        seconds = time.perf_counter() - start
    return Generation("".join(pieces), n, prompt_tokens, seconds, finish)
