"""Files the server writes are private (0600/0700); who may stop the shared GPU runtime; model
import stays inside the import folders; answers name no server paths."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, Api, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.studio import Studio


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A studio with its own models dir inside the data dir, and one import folder."""
    return make_settings(tmp_path, models_dir=None, model_import_dirs=[tmp_path / "imports"])


# -- file modes -----------------------------------------------------------------------------------
def loose_entries(root: Path) -> list[str]:
    loose = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if not path.is_symlink() and mode & ~want:
            loose.append(f"{path.relative_to(root)} {oct(mode)}")
    return loose


async def test_everything_under_the_data_dir_is_private_after_a_run(api: Api, studio: Studio,
                                                                  test_video: Path) -> None:
    session = await api.new_session()
    photo = (await api.upload(session["id"], FIXTURES / "chelsea.png"))["id"]
    video = (await api.upload(session["id"], test_video))["id"]
    await api.save_graph(session, {"nodes": [
        node("p", "upload.image", media_ids=[photo]), node("a", "image.adjust", x=200, brightness=1.2),
        node("v", "upload.video", media_ids=[video]), node("t", "video.trim", x=200, start=0.5, end=1.5),
    ], "edges": [
        {"id": "pa", "source": "p", "source_handle": "image", "target": "a", "target_handle": "image"},
        {"id": "vt", "source": "v", "source_handle": "video", "target": "t", "target_handle": "video"},
    ]})
    run = await api.run(session["id"])
    assert run["nodes"]["a"]["status"] == "succeeded" and run["nodes"]["t"]["status"] == "succeeded", run
    studio.db.checkpoint()
    data = studio.settings.data_dir
    assert (data / "studio.db").is_file() and list(studio.settings.resolved_media_dir.rglob("*.mp4"))
    assert loose_entries(data) == []


def test_start_up_tightens_folders_an_older_version_left_open(settings: Settings) -> None:
    settings.ensure_dirs()
    media = settings.resolved_media_dir
    (media / "2020" / "01").mkdir(parents=True)
    old_db = settings.data_dir / "studio.db"
    old_db.touch()
    old_db.chmod(0o644)
    for folder in (settings.data_dir, media, settings.scratch_dir):
        folder.chmod(0o755)
    Studio(settings).db.dispose()
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(media.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.scratch_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((media / "2020").stat().st_mode) == 0o700
    assert stat.S_IMODE(old_db.stat().st_mode) == 0o600


# -- GPU stop policy ------------------------------------------------------------------------------
async def test_only_the_starter_and_admins_may_stop_the_gpu(make_user: Callable[..., Any]) -> None:
    alice, bob = await make_user(), await make_user()
    admin = await make_user("root@example.com", admin=True)
    # stopping a stopped runtime changes nothing: anyone may
    assert (await bob.post("/api/v2/gpu/stop")).status_code == 200

    assert (await alice.post("/api/v2/gpu/start")).json()["state"] == "ready"
    for body in ({"mode": "graceful"}, {"mode": "immediate"}, None):
        r = await bob.post("/api/v2/gpu/stop", json=body)
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", r.text
    assert (await bob.get("/api/v2/gpu/status")).json()["state"] == "ready"
    # bob starting it again does not make it his
    assert (await bob.post("/api/v2/gpu/start")).status_code == 200
    assert (await bob.post("/api/v2/gpu/stop")).status_code == 403
    # the starter may stop it gracefully, not immediately
    r = await alice.post("/api/v2/gpu/stop", json={"mode": "immediate"})
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    r = await alice.post("/api/v2/gpu/stop", json={"mode": "graceful"})
    assert r.status_code == 200 and r.json()["state"] == "stopped", r.text

    # admins may stop anyone's runtime, either way
    assert (await alice.post("/api/v2/gpu/start")).status_code == 200
    r = await admin.post("/api/v2/gpu/stop", json={"mode": "immediate"})
    assert r.status_code == 200 and r.json()["state"] == "stopped", r.text
    assert (await bob.post("/api/v2/gpu/start")).status_code == 200
    assert (await admin.post("/api/v2/gpu/stop")).json()["state"] == "stopped"


# -- model import ---------------------------------------------------------------------------------
async def test_model_import_refuses_links_out_of_the_import_folder(make_user: Callable[..., Any],
                                                                  studio: Studio, tmp_path: Path) -> None:
    admin = await make_user("root@example.com", admin=True)
    imports = tmp_path / "imports"
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.safetensors"
    secret.write_bytes(b"server secret")
    (imports / "pack").mkdir(parents=True)
    (imports / "pack" / "model.safetensors").symlink_to(secret)
    (imports / "direct.safetensors").symlink_to(secret)
    (imports / "dir-link").symlink_to(outside, target_is_directory=True)
    (imports / "loop").symlink_to(imports / "loop")
    for path in (imports / "pack", imports / "direct.safetensors", imports / "dir-link",
                 imports / "dir-link" / "secret.safetensors", imports / "loop", imports / ".." / "outside",
                 secret):
        r = await admin.post("/api/v2/models/import", json={"path": str(path)})
        assert r.status_code == 422 and r.json()["code"] == "PATH_NOT_ALLOWED", (path, r.text)
        assert str(tmp_path) not in r.text
    r = await admin.post("/api/v2/models/import", json={"path": str(imports / "missing")})
    assert r.status_code == 422 and r.json()["code"] == "MODEL_PATH_NOT_FOUND", r.text
    assert str(tmp_path) not in r.text
    copied = [p for p in studio.settings.resolved_models_dir.rglob("*") if p.is_file()]
    assert not any(p.read_bytes() == b"server secret" for p in copied)


# -- disclosure -----------------------------------------------------------------------------------
async def test_answers_name_no_server_paths(api: Api, studio: Studio) -> None:
    data = str(studio.settings.data_dir.resolve().parent)
    r = await api.get("/api/v2/llm/models")
    assert r.status_code == 200 and data not in r.text and str(studio.settings.resolved_models_dir) not in r.text
    assert r.json()["folder"] == "llm"
    for name, payload in (("junk.bin", os.urandom(4000)), ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")):
        r = await api.post("/api/v2/media/upload", files={"file": (name, payload)})
        assert r.status_code == 415, r.text
        assert data not in r.text and "scratch" not in r.text and "upload-" not in r.text, r.text


def test_the_database_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """A CLI command (no server umask) creates the SQLite file, and its -wal/-shm, as 0600."""
    from miniaistudio.store.db import Database
    from miniaistudio.store.migrate import upgrade

    old = os.umask(0o022)
    try:
        db = Database(f"sqlite:///{tmp_path / 'cli.db'}")
        upgrade(db)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x)")
            files = sorted(tmp_path.glob("cli.db*"))
            assert {p.name for p in files} >= {"cli.db", "cli.db-wal", "cli.db-shm"}
            assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: "0o600" for p in files}
        db.dispose()
    finally:
        os.umask(old)
