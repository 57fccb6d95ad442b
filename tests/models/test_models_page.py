"""The Models page's server side: what the import folders hold (admin), import and remove from there, and
which nodes need a kind of model (the palette says so when none is installed)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from conftest import Api, make_settings
from miniaistudio.config import Settings

from .conftest import install


def tiny_lora_file(path: Path) -> Path:
    """A safetensors file whose tensor names say LoRA (header only matters to detection)."""
    header = json.dumps({"unet.lora_A.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0\0\0\0")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """This test's own models dir and one import folder."""
    (tmp_path / "imports").mkdir()
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path / "imports"])


async def test_the_import_folder_lists_what_can_be_imported_and_why_not(
        admin: Api, api: Api, settings: Settings) -> None:
    imports = settings.resolved_model_import_dirs[0]
    lora = tiny_lora_file(imports / "paper-cut style.safetensors")
    (imports / "notes.txt").write_text("not a model")
    (imports / "escape").symlink_to("/etc")
    (imports / ".hidden").write_text("skipped")

    r = await api.get("/api/v2/models/importable")
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")

    r = await admin.get("/api/v2/models/importable")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["folders"] == ["imports"]
    found = {c["name"]: c for c in body["candidates"]}
    assert sorted(found) == ["escape", "notes.txt", "paper-cut style.safetensors"]
    good = found["paper-cut style.safetensors"]
    assert (good["kind"], good["format"], good["problem"]) == ("lora", "safetensors", None)
    assert good["size_bytes"] == lora.stat().st_size and good["path"] == str(lora)
    assert found["notes.txt"]["kind"] is None and "cannot tell what notes.txt is" in found["notes.txt"]["problem"]
    assert found["escape"]["kind"] is None and "import folders" in found["escape"]["problem"]

    model = await install(admin, Path(good["path"]), name="Paper cut", credits_per_generation=3)
    listed = (await api.get("/api/v2/models")).json()["models"]
    assert [(m["id"], m["kind"], m["size_bytes"], m["credits_per_generation"]) for m in listed] == [
        (model["id"], "lora", lora.stat().st_size, 3)]

    r = await api.request("DELETE", f"/api/v2/models/{model['id']}")
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = await admin.request("DELETE", f"/api/v2/models/{model['id']}")
    assert r.status_code == 200 and r.json()["removed"]["id"] == model["id"]
    assert (await api.get("/api/v2/models")).json()["models"] == []


async def test_the_catalog_says_which_nodes_need_a_model(api: Api) -> None:
    nodes = {n["type"]: n for n in (await api.get("/api/v2/nodes")).json()["nodes"]}
    assert nodes["image.generate"]["model_kinds"] == ["text_to_image"]
    assert nodes["image.inpaint"]["model_kinds"] == ["inpaint", "text_to_image"]
    assert nodes["video.from_text"]["model_kinds"] == ["text_to_video"]
    # nodes with a classical engine run without any model
    assert nodes["image.upscale"]["model_kinds"] == [] and nodes["video.from_image"]["model_kinds"] == []
    assert nodes["image.blur"]["model_kinds"] == [] if "image.blur" in nodes else True
