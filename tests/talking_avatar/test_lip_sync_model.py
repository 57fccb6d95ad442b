"""The neural plug-in: a Wav2Lip-shaped ONNX model imported as kind ``lip_sync`` is loaded and run by the
Talking Avatar node (the tiny model here is built in the test: no real weights are reachable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from avatar_helpers import GRACE, run_graph, speaking_graph, tiny_wav2lip

from conftest import Api, error_code, make_settings, media_record, node, output
from miniaistudio.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """This test's own models folder (the import must not leak), imports allowed from pytest's base temp."""
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent])


async def test_a_lip_sync_model_is_loaded_and_labelled(make_user: Callable[..., Any], tmp_path: Path) -> None:
    admin: Api = await make_user(admin=True)
    portrait = (await admin.upload(None, GRACE))["id"]
    espeak = {"engine": "espeak-ng", "voice": "espeak-ng:en-us"}
    nodes, edges = speaking_graph(portrait, node("neural", "video.talking_avatar", engine="neural"), tts=espeak)
    run = await run_graph(admin, nodes, edges)
    assert error_code(run, "neural") == "MODEL_NOT_INSTALLED"

    model_file = tiny_wav2lip(tmp_path / "wav2lip_tiny.onnx")
    r = await admin.post("/api/v2/models/import", json={"path": str(model_file), "kind": "lip_sync",
                                                        "name": "wav2lip-tiny"})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "lip_sync" and r.json()["format"] == "onnx"

    nodes, edges = speaking_graph(portrait, node("auto", "video.talking_avatar", full_frame=False),
                                  node("classical", "video.talking_avatar", full_frame=False, engine="classical"),
                                  tts=espeak)
    run = await run_graph(admin, nodes, edges)
    auto = (await media_record(admin, output(run, "auto", "video")["media_id"]))["metadata"]
    assert auto["engine"] == "wav2lip-onnx" and auto["ai_generated"] is True
    assert auto["model"]["kind"] == "lip_sync" and auto["model"]["name"] == "wav2lip-tiny"
    classical = (await media_record(admin, output(run, "classical", "video")["media_id"]))["metadata"]
    assert classical["engine"] == "classical-talking-head" and classical["ai_generated"] is False
    assert np.isfinite(auto["speech_seconds"]) and auto["frames"] == classical["frames"]
