"""The thumbnail's title from the Text Refiner's language model (Gemma 3 270M, placed in the shared test
models folder by the set-up code), kept only when it is on topic; and the deterministic headline."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.runtimes.creative.thumbnail_layout import clean_title, headline, on_topic
from miniaistudio.runtimes.models import assets
from miraflow.conftest import miraflow_key, poll, xkey

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test models folder, where the set-up code places the default language model."""
    return make_settings(tmp_path, api_key_rate_limit_per_minute=10_000)


def test_headline_and_title_cleaning() -> None:
    assert headline("Epic gaming moment with explosion and character in action pose") == "EPIC GAMING MOMENT EXPLOSION"
    assert headline("the and of") == "WATCH THIS"
    assert clean_title(' "Perfect sourdough!"\nmore') == "PERFECT SOURDOUGH!"
    assert on_topic("EPIC GAME", "Epic gaming moment") and not on_topic("A 10-DAY WORKOUT", "Baking sourdough bread")


async def test_the_title_comes_from_the_language_model_when_installed(api: Api, settings: Settings) -> None:
    assets.default_llm_path(settings.resolved_models_dir)  # placed (once) by the set-up code's own function
    key = await miraflow_key(api)
    r = await api.client.post("/api/thumbnail/generate", headers=xkey(key), json={
        "prompt": "Epic gaming moment with explosion and character in action pose", "name": "Gaming",
        "seed": 12345})
    assert r.status_code == 200, r.text
    done = await poll(api, key, f"/api/thumbnail/{r.json()['jobId']}",
                      lambda b: "mediaId" in b or bool(b.get("reason")))
    assert "mediaId" in done, done
    record = (await api.get(f"/api/v2/media/{done['mediaId']}")).json()["metadata"]
    source = record["title_source"]
    assert source == "llm:gemma-3-270m-q4_k_m.gguf" or "off-topic" in source, record
    assert on_topic(record["title"], "Epic gaming moment with explosion and character in action pose")
