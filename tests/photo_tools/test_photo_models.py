"""The photo tools' model paths, on tiny random-weight models imported through the API like a
user's own: virtual staging on an image-edit model (and the model-missing error without one), a
generated product scene, and a face-restoration ONNX model inside Photo Restore."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.core.staging_prompt import STAGING_NEGATIVE, staging_prompt
from miniaistudio.runtimes.models.vision_assets import u2netp_target

from .photo_helpers import (
    GRACE,
    ROCKET,
    fetch_image,
    metadata,
    result_node,
    rgb,
    run_recipe,
    save,
    synthetic_product,
    upload,
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.set_num_threads(2)
    return tmp_path_factory.mktemp("photo-models")


@pytest.fixture(scope="module")
def tiny_pix2pix(tiny_dir: Path) -> Path:
    from models import tiny

    return tiny.build_pix2pix(tiny_dir / "tiny-pix2pix")


@pytest.fixture(scope="module")
def tiny_sd(tiny_dir: Path) -> Path:
    from models import tiny

    return tiny.build_sd(tiny_dir / "tiny-sd")


@pytest.fixture(scope="module")
def face_model(tiny_dir: Path) -> Path:
    """A face-restoration ONNX model with GFPGAN's interface (1x3x512x512 in -1..1 -> same) that
    negates its input: where it ran, the output is the photo's negative."""
    import onnx
    from onnx import TensorProto, helper

    shape = [1, 3, 512, 512]
    graph = helper.make_graph([helper.make_node("Neg", ["input"], ["output"])], "negate-face",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tiny_dir / "negate-face.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture
def settings(tmp_path: Path, u2netp_placed: Path) -> Settings:
    """This test's own models folder (imports must not leak), with the product cut-out model in it."""
    models = tmp_path / "models"
    target = u2netp_target(models)
    target.parent.mkdir(parents=True)
    shutil.copyfile(u2netp_placed, target)
    return make_settings(tmp_path, models_dir=models, model_import_dirs=[tmp_path.parent])


@pytest.fixture
async def admin(make_user: Callable[..., Any]) -> Api:
    return await make_user("admin@example.com", admin=True)  # type: ignore[no-any-return]


async def install(api: Api, path: Path, **body: Any) -> dict[str, Any]:
    r = await api.post("/api/v2/models/import", json={"path": str(path), **body})
    assert r.status_code == 201, r.text
    model: dict[str, Any] = r.json()
    return model


async def test_virtual_staging_needs_a_model_and_runs_on_one(admin: Api, tiny_pix2pix: Path) -> None:
    room = await upload(admin, ROCKET)
    inputs = {"image": room, "style": "scandinavian", "room": "bedroom", "seed": 3}
    run = await run_recipe(admin, "virtual_staging", inputs)
    assert run["status"] == "failed"
    error = result_node(run)["error"]
    assert error["code"] == "MODEL_NOT_INSTALLED" and "miniaistudio models" in error["message"], error

    model = await install(admin, tiny_pix2pix, default_params={"steps": 2})
    run = await run_recipe(admin, "virtual_staging", inputs)
    assert run["status"] == "succeeded", run["error"]
    image = result_node(run)["outputs"]["image"]
    meta = await metadata(admin, image["media_id"])
    assert meta["ai_generated"] is True and meta["model"] == model["id"]
    assert meta["prompt"] == staging_prompt("scandinavian", "bedroom")
    assert "empty bedroom in scandinavian style" in meta["prompt"]
    assert meta["negative_prompt"] == STAGING_NEGATIVE and meta["seed"] == 3


async def test_generated_product_scene_keeps_the_product(admin: Api, tiny_sd: Path, tmp_path: Path) -> None:
    await install(admin, tiny_sd, default_params={"steps": 2})
    photo, truth = synthetic_product()
    media = await upload(admin, save(photo, tmp_path / "bottle.png"))
    run = await run_recipe(admin, "product_background", {"image": media, "background": "scene"})
    assert run["status"] == "succeeded", run["error"]
    outputs = result_node(run)["outputs"]
    out = np.asarray((await fetch_image(admin, outputs["image"]["media_id"])).convert("RGB"), np.int32)
    mask = np.asarray((await fetch_image(admin, outputs["mask"]["media_id"])).convert("L")) / 255
    core = truth & (mask > 0.98)
    assert np.abs(out[core] - photo[core]).mean() < 2  # the product is the photo's own
    assert np.abs(out[~truth] - photo[~truth]).mean() > 10  # the background was generated
    meta = await metadata(admin, outputs["image"]["media_id"])
    assert meta["ai_generated"] is True and meta["background"] == "scene" and meta["model"] == "tiny-sd"


async def test_photo_restore_uses_an_installed_face_model(admin: Api, face_model: Path) -> None:
    photo = await upload(admin, GRACE)
    classical = await run_recipe(admin, "photo_restore", {"image": photo})
    assert classical["status"] == "succeeded", classical["error"]
    model = await install(admin, face_model, kind="face_restoration")
    assert model["kind"] == "face_restoration"
    restored = await run_recipe(admin, "photo_restore", {"image": photo})
    assert restored["status"] == "succeeded", restored["error"]

    plain = np.asarray((await fetch_image(admin, result_node(classical)["outputs"]["image"]["media_id"]))
                       .convert("RGB"), np.int32)
    faced = np.asarray((await fetch_image(admin, result_node(restored)["outputs"]["image"]["media_id"]))
                       .convert("RGB"), np.int32)
    # The model ran on the face (Grace Hopper's nose, about x 265 y 240) and nowhere else.
    nose = (slice(230, 250), slice(255, 275))
    assert np.abs(faced[nose] - (255 - plain[nose])).mean() < 12
    assert np.abs(faced[:60, :60] - plain[:60, :60]).mean() < 1
    assert np.abs(faced[-60:, -60:] - plain[-60:, -60:]).mean() < 1
    meta = await metadata(admin, result_node(restored)["outputs"]["image"]["media_id"])
    assert meta["engine"] == "classical-restore+onnx-face-restoration" and meta["ai_generated"] is True
    assert meta["faces_restored"] == 1 and meta["model"] == model["id"]
    plain_meta = await metadata(admin, result_node(classical)["outputs"]["image"]["media_id"])
    assert plain_meta["engine"] == "classical-restore" and plain_meta["ai_generated"] is False
    assert rgb(GRACE).shape == faced.shape
