"""One warm-model cache: the CPU runtimes (llama.cpp, Piper, faster-whisper, mediapipe, ONNX) keep their
models in the model host's budgeted LRU, so the runtime view sizes them, a GPU stop unloads them, a small
budget evicts them, and concurrent first uses load once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, SHARED_MODELS_DIR, Api, edge, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.runtimes.models import assets
from miniaistudio.runtimes.models.model_cache import ModelCache
from miniaistudio.runtimes.models.vision_assets import place_u2netp

from .conftest import run_nodes, runtime_stats, succeeded

LLM_KEY = f"llm:{assets.DEFAULT_LLM_FILE}@ctx2048"
TTS_KEY = f"tts:piper:{assets.DEFAULT_PIPER_VOICE}"
STT_KEY = f"stt:{assets.DEFAULT_WHISPER_MODEL}"
POSE_KEY = "vision:mediapipe:pose@0.5"
SELFIE_KEY = "vision:mediapipe:selfie"
U2NETP_KEY = "vision:onnx:u2netp.onnx"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test models folder, where the set-up step placed the CPU models."""
    return make_settings(tmp_path)


def _entries(stats: dict[str, Any]) -> dict[str, int]:
    return {e["key"]: e["size_bytes"] for e in stats["cache"]["entries"]}


def _refine(node_id: str = "refine", seed: int = 7) -> dict[str, Any]:
    return node(node_id, "text.refine", preset="keywords", max_tokens=4, seed=seed, temperature=0.0)


async def test_cpu_models_are_sized_in_the_cache_and_a_gpu_stop_unloads_them(api: Api) -> None:
    place_u2netp(SHARED_MODELS_DIR)
    session = await api.new_session()
    photo = (await api.upload(session["id"], FIXTURES / "astronaut.png"))["id"]
    nodes = [node("t", "text", text="A red fox hunts mice in the snow."), _refine(),
             node("speak", "audio.tts", variation=0.0), node("hear", "audio.transcribe", language="en"),
             node("photo", "upload.image", media_ids=[photo]), node("pose", "image.pose"),
             node("person", "image.remove_background", engine="person"),
             node("product", "image.remove_background", engine="product")]
    edges = [edge("t", "text", "refine", "text"), edge("t", "text", "speak", "text"),
             edge("speak", "audio", "hear", "media"), edge("photo", "image", "pose", "image"),
             edge("photo", "image", "person", "image"), edge("photo", "image", "product", "image")]
    run, _ = await run_nodes(api, nodes, edges, session=session)
    assert run["status"] == "succeeded", run

    stats = await runtime_stats(api)
    sizes = _entries(stats)
    assert set(sizes) == {LLM_KEY, TTS_KEY, STT_KEY, POSE_KEY, SELFIE_KEY, U2NETP_KEY}
    # the size estimate of a CPU model is its weights on disk
    assert sizes[LLM_KEY] == (SHARED_MODELS_DIR / "llm" / assets.DEFAULT_LLM_FILE).stat().st_size
    assert sizes[U2NETP_KEY] == (SHARED_MODELS_DIR / "segmentation" / "u2netp.onnx").stat().st_size
    assert sizes[STT_KEY] > sizes[TTS_KEY] > sizes[POSE_KEY] > sizes[SELFIE_KEY] > 0
    assert stats["cache"]["used_bytes"] == sum(sizes.values())
    assert stats["gpu"]["memory"]["models_bytes"] == sum(sizes.values())  # what the GPU runtime reports
    assert all(stats["cache"]["loads"][key] == 1 for key in sizes)

    # A graceful stop through the API unloads them, even though no GPU node started the runtime.
    r = await api.post("/api/v2/gpu/stop", json={"mode": "graceful"})
    assert r.status_code == 200 and r.json()["state"] == "stopped"
    stats = await runtime_stats(api)
    assert stats["cache"]["entries"] == [] and stats["cache"]["used_bytes"] == 0

    # The next use loads again.
    rerun = await api.rerun(session["id"], "refine")
    succeeded(rerun, "refine", "text")
    stats = await runtime_stats(api)
    assert list(_entries(stats)) == [LLM_KEY] and stats["cache"]["loads"][LLM_KEY] == 2


async def test_two_concurrent_first_uses_load_once(api: Api) -> None:
    nodes = [node("t", "text", text="a lighthouse on a cliff"), _refine("a", seed=1), _refine("b", seed=2)]
    run, _ = await run_nodes(api, nodes, [edge("t", "text", "a", "text"), edge("t", "text", "b", "text")])
    assert run["status"] == "succeeded", run
    a, b = run["nodes"]["a"], run["nodes"]["b"]
    assert a["started_at"] < b["finished_at"] and b["started_at"] < a["finished_at"]  # they ran side by side
    stats = (await runtime_stats(api))["cache"]
    assert stats["loads"] == {LLM_KEY: 1} and stats["hits"] >= 1


class TestTinyBudget:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # room for the language model or the voice, not both
        llm = (SHARED_MODELS_DIR / "llm" / assets.DEFAULT_LLM_FILE).stat().st_size
        voice = (SHARED_MODELS_DIR / "voices" / "piper" / f"{assets.DEFAULT_PIPER_VOICE}.onnx").stat().st_size
        return settings.model_copy(update={"model_cache_bytes": max(llm, voice) + 1})

    async def test_cpu_models_are_evicted_least_recently_used_first(self, api: Api) -> None:
        text = node("t", "text", text="a quiet harbour at dawn")
        session = await api.new_session()
        succeeded((await run_nodes(api, [text, _refine()], [edge("t", "text", "refine", "text")],
                                   session=session))[0], "refine", "text")
        succeeded((await run_nodes(api, [text, node("speak", "audio.tts", variation=0.0)],
                                   [edge("t", "text", "speak", "text")], session=session))[0], "speak", "audio")
        stats = (await runtime_stats(api))["cache"]
        assert stats["evictions"] == [LLM_KEY] and list(_entries({"cache": stats})) == [TTS_KEY]

        succeeded((await run_nodes(api, [text, _refine(seed=8)], [edge("t", "text", "refine", "text")],
                                   session=session))[0], "refine", "text")
        stats = (await runtime_stats(api))["cache"]
        assert stats["evictions"] == [LLM_KEY, TTS_KEY] and stats["loads"][LLM_KEY] == 2
        assert stats["used_bytes"] <= stats["budget_bytes"]


# -- the cache itself: one load per key, close on unload, discard ------------------------------------

class _Model:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_concurrent_first_leases_wait_for_one_load() -> None:
    cache = ModelCache(2**20)
    loads: list[str] = []
    both_asked = threading.Barrier(2)
    seen: list[_Model] = []

    def loader() -> tuple[_Model, int]:
        loads.append("m")
        time.sleep(0.2)  # the other caller arrives while this load runs
        return _Model("m"), 100

    def use() -> None:
        both_asked.wait()
        with cache.lease("m", loader, close=_Model.close) as lease:
            seen.append(lease.value)

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert loads == ["m"] and len(seen) == 2 and seen[0] is seen[1]
    assert cache.stats()["loads"] == {"m": 1} and cache.stats()["hits"] == 1

    assert cache.clear() == 1 and seen[0].closed  # unloading closes the model


def test_a_discarded_model_is_closed_and_loaded_afresh() -> None:
    cache = ModelCache(2**20)
    made: list[_Model] = []

    def loader() -> tuple[_Model, int]:
        made.append(_Model(f"m{len(made)}"))
        return made[-1], 10

    with pytest.raises(RuntimeError), cache.lease("m", loader, close=_Model.close) as lease:
        lease.discard()
        raise RuntimeError("the graph failed")
    assert made[0].closed and cache.stats()["entries"] == []
    with cache.lease("m", loader, close=_Model.close) as lease:
        assert lease.value is made[1] and lease.loaded_now
    assert not made[1].closed
