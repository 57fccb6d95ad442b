"""The neural plug-in: a Wav2Lip-shaped ONNX model imported as kind ``lip_sync`` is loaded and run by the
Talking Avatar node (the tiny model here is built in the test: no real weights are reachable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from avatar_helpers import GRACE, run_graph, speaking_graph

from conftest import Api, error_code, make_settings, media_record, node, output
from miniaistudio.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """This test's own models folder (the import must not leak), imports allowed from pytest's base temp."""
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent])


def tiny_wav2lip(path: Path) -> Path:
    """Wav2Lip's interface: ``mel`` [B,1,80,16] and ``vid`` [B,6,96,96] in, a [B,3,96,96] face out
    (here: the reference half of ``vid``, brightened by the mean of ``mel``)."""
    import onnx
    from onnx import TensorProto, helper

    def const(name: str, values: list[int] | list[float], dtype: int) -> Any:
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, dtype, [len(values)], values))

    nodes = [const("starts", [3], TensorProto.INT64), const("ends", [6], TensorProto.INT64),
             const("axes", [1], TensorProto.INT64), const("scale", [0.05], TensorProto.FLOAT),
             helper.make_node("Slice", ["vid", "starts", "ends", "axes"], ["reference"]),
             helper.make_node("ReduceMean", ["mel"], ["level"], keepdims=1),
             helper.make_node("Mul", ["level", "scale"], ["lift"]),
             helper.make_node("Add", ["reference", "lift"], ["raw"]),
             helper.make_node("Clip", ["raw"], ["out"])]
    graph = helper.make_graph(
        nodes, "tiny_wav2lip",
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["B", 1, 80, 16]),
         helper.make_tensor_value_info("vid", TensorProto.FLOAT, ["B", 6, 96, 96])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["B", 3, 96, 96])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


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
