"""A ``lip_sync`` model's credits are metered like any model's: the Talking Avatar node that runs it
(``auto`` picking the installed model) costs its ``credits_per_generation``; the classical engine costs
nothing, even with a model named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from avatar_helpers import GRACE, run_graph, speaking_graph, tiny_wav2lip

from conftest import Api, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

PRICE = 7
GRANT = 20


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="credits", models_dir=tmp_path / "models",
                         model_import_dirs=[tmp_path.parent])


async def test_a_lip_sync_model_costs_its_credits(make_user: Callable[..., Any], studio: Studio,
                                                  tmp_path: Path) -> None:
    admin: Api = await make_user(admin=True)
    r = await admin.post("/api/v2/models/import", json={"path": str(tiny_wav2lip(tmp_path / "w2l.onnx")),
                                                        "kind": "lip_sync", "name": "wav2lip-tiny",
                                                        "credits_per_generation": PRICE})
    assert r.status_code == 201, r.text
    me = (await admin.get("/api/v2/auth/me")).json()["id"]
    studio.credits.grant(me, GRANT, reason="test")
    portrait = (await admin.upload(None, GRACE))["id"]
    espeak = {"engine": "espeak-ng", "voice": "espeak-ng:en-us"}
    nodes, edges = speaking_graph(
        portrait, node("auto", "video.talking_avatar", full_frame=False),
        node("classical", "video.talking_avatar", full_frame=False, engine="classical", model="wav2lip-tiny"),
        tts=espeak)
    run = await run_graph(admin, nodes, edges)
    assert {n: run["nodes"][n]["status"] for n in ("auto", "classical")} == {"auto": "succeeded",
                                                                              "classical": "succeeded"}
    balance = (await admin.get("/api/v2/billing/balance")).json()
    assert (balance["available"], balance["reserved"]) == (GRANT - PRICE, 0), balance
