"""The model manager: CLI import/list/remove, detection, pull when offline, LoRA chains (API)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from conftest import Api
from miniaistudio.config import Settings

from .conftest import cli, install


async def test_cli_import_list_remove(settings: Settings, api: Api, tiny_sd: Path, tiny_lora: Path) -> None:
    done = cli(settings, "models", "import", str(tiny_sd), "--name", "Tiny SD")
    assert done.returncode == 0, done.stderr
    assert "imported text_to_image model tiny-sd (diffusers" in done.stdout
    done = cli(settings, "models", "import", str(tiny_lora))
    assert done.returncode == 0, done.stderr
    assert "imported lora model camera-angles (safetensors" in done.stdout

    listed = cli(settings, "models", "list")
    assert listed.returncode == 0, listed.stderr
    assert "tiny-sd" in listed.stdout and "camera-angles" in listed.stdout

    r = await api.get("/api/v2/models", params={"type": "text_to_image"})
    assert r.status_code == 200, r.text
    [sd] = r.json()["models"]
    assert (sd["id"], sd["display_name"], sd["kind"], sd["format"]) == ("tiny-sd", "Tiny SD", "text_to_image",
                                                                          "diffusers")
    assert sd["path"] == "text_to_image/tiny-sd" and sd["installed"] is True
    on_disk = settings.resolved_models_dir / sd["path"]
    assert (on_disk / "model_index.json").is_file() and (on_disk / "unet").is_dir()
    assert sd["size_bytes"] == sum(p.stat().st_size for p in tiny_sd.rglob("*") if p.is_file())
    assert len(sd["sha256"]) == 64

    r = await api.get("/api/v2/models", params={"type": "lora"})
    [lora] = r.json()["models"]
    assert lora["sha256"] == hashlib.sha256(tiny_lora.read_bytes()).hexdigest()
    assert lora["filename"] == "camera-angles.safetensors"
    assert len((await api.get("/api/v2/models")).json()["models"]) == 2

    removed = cli(settings, "models", "remove", "tiny-sd")
    assert removed.returncode == 0, removed.stderr
    assert not on_disk.exists()
    assert [m["id"] for m in (await api.get("/api/v2/models")).json()["models"]] == ["camera-angles"]
    missing = cli(settings, "models", "remove", "tiny-sd")
    assert missing.returncode == 2 and "MODEL_NOT_FOUND" in missing.stderr


async def test_detection_of_kinds_and_formats(admin: Api, tiny_pix2pix: Path, tiny_dpt: Path, tiny_swin2sr: Path,
                                              tiny_svd: Path, tmp_path: Path) -> None:
    found = {m["id"]: (m["kind"], m["format"]) for m in [
        await install(admin, tiny_pix2pix), await install(admin, tiny_dpt), await install(admin, tiny_swin2sr),
        await install(admin, tiny_svd)]}
    assert found == {"tiny-pix2pix": ("image_edit", "diffusers"), "tiny-dpt": ("depth", "transformers"),
                     "tiny-swin2sr": ("upscaler", "transformers"), "tiny-svd": ("image_to_video", "diffusers")}
    r = await admin.get("/api/v2/models", params={"type": "depth"})
    assert [m["id"] for m in r.json()["models"]] == ["tiny-dpt"]

    junk = tmp_path / "notes.txt"
    junk.write_text("not a model")
    r = await admin.post("/api/v2/models/import", json={"path": str(junk)})
    assert r.status_code == 422 and r.json()["code"] == "MODEL_FORMAT_UNKNOWN"


async def test_only_admins_install(api: Api, tiny_lora: Path) -> None:
    r = await api.post("/api/v2/models/import", json={"path": str(tiny_lora)})
    assert r.status_code == 403, r.text


async def test_api_imports_only_from_the_import_folders(admin: Api) -> None:
    for path in ("/etc", "/etc/passwd", "../../../etc", "~/.ssh"):
        r = await admin.post("/api/v2/models/import", json={"path": path})
        assert r.status_code == 422 and r.json()["code"] == "PATH_NOT_ALLOWED", r.text


def test_pull_says_clearly_when_offline(settings: Settings) -> None:
    done = cli(settings, "models", "pull", "stabilityai/sd-turbo")
    assert done.returncode == 2
    assert "MODEL_HUB_UNREACHABLE" in done.stderr and "HF_HUB_OFFLINE" in done.stderr
    assert "miniaistudio models import PATH" in done.stderr


def test_pull_connection_failure_is_unreachable(settings: Settings) -> None:
    env_backup = dict(os.environ)
    try:
        os.environ.pop("HF_HUB_OFFLINE", None)
        os.environ.pop("TRANSFORMERS_OFFLINE", None)
        os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens: connection refused at once
        from miniaistudio.services.model_hub import ModelHubUnreachable
        from miniaistudio.services.models import ModelLibrary
        from miniaistudio.store.db import Database
        from miniaistudio.store.migrate import upgrade

        settings.ensure_dirs()
        db = Database(settings.resolved_database_url)
        upgrade(db)
        library = ModelLibrary(db, settings.resolved_models_dir)
        try:
            library.pull("acme/tiny-model")
        except ModelHubUnreachable as exc:
            assert exc.code == "MODEL_HUB_UNREACHABLE"
            assert "unreachable" in exc.message and "miniaistudio models import PATH" in exc.message
        else:
            raise AssertionError("pull should fail without a reachable hub")
        assert not any((settings.resolved_models_dir / ".incoming").glob("pull-*"))
        db.dispose()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


async def test_lora_chain_resolution(admin: Api, tiny_lora: Path, tmp_path: Path) -> None:
    style = tmp_path / "film-grain.safetensors"
    shutil.copy(tiny_lora, style)
    camera = await install(admin, tiny_lora, name="Camera Angles")
    grain = await install(admin, style)
    assert (camera["kind"], grain["kind"]) == ("lora", "lora")

    r = await admin.get("/api/v2/loras")
    assert [item["id"] for item in r.json()["loras"]] == ["camera-angles", "film-grain"]

    r = await admin.post("/api/v2/loras/resolve", json={"chain": [
        {"name": "film-grain", "weight": 0.5}, {"id": "camera-angles", "weight": 1.25},
        {"name": "CAMERA ANGLES", "weight": -0.3}]})
    assert r.status_code == 200, r.text
    assert [(item["id"], item["weight"]) for item in r.json()["loras"]] == [
        ("film-grain", 0.5), ("camera-angles", 1.25), ("camera-angles", -0.3)]
    assert r.json()["loras"][1]["filename"] == "camera-angles.safetensors"

    r = await admin.post("/api/v2/loras/resolve-by-filename", json={"chain": [
        {"filename": "camera-angles.safetensors", "weight": 0.8}, {"filename": "film-grain"}]})
    assert r.status_code == 200, r.text
    assert [(item["id"], item["weight"]) for item in r.json()["loras"]] == [("camera-angles", 0.8), ("film-grain", 1.0)]

    r = await admin.post("/api/v2/loras/resolve", json={"chain": [{"name": "film-grain"}, {"name": "nope"},
                                                                  {"id": "missing-too"}]})
    assert r.status_code == 404
    assert r.json()["code"] == "LORA_NOT_FOUND" and r.json()["details"]["missing"] == ["nope", "missing-too"]
    r = await admin.post("/api/v2/loras/resolve-by-filename", json={"chain": [{"filename": "other.safetensors"}]})
    assert r.status_code == 404 and r.json()["code"] == "LORA_NOT_FOUND"
    r = await admin.post("/api/v2/loras/resolve", json={"chain": [{"weight": 1.0}]})
    assert r.status_code == 422
