"""The ``miniaistudio`` command against the same data dir as a running server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

import servers

from .conftest import LiveServer

CLI = str(Path(sys.executable).with_name("miniaistudio"))


def cli(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MINIAI_SECRET_KEY": "live-secret-key-0123456789abcdef0123",
           **servers.BACKEND.environment_for(data_dir)}
    return subprocess.run([CLI, *args, "--data-dir", str(data_dir)], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


def test_users_create_works_while_the_server_runs(live_server: LiveServer) -> None:
    data_dir = live_server.settings.data_dir
    done = cli("users", "create", "--email", "late@example.com", "--password", "late-password-1", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    token = live_server.login("late@example.com", "late-password-1")
    r = httpx.get(f"{live_server.url}/api/v2/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.json()["email"] == "late@example.com"

    again = cli("users", "create", "--email", "late@example.com", "--password", "late-password-1",
                data_dir=data_dir)
    assert again.returncode == 2 and "EMAIL_TAKEN" in again.stderr
    weak = cli("users", "create", "--email", "weak@example.com", "--password", "short", data_dir=data_dir)
    assert weak.returncode == 2 and "WEAK_PASSWORD" in weak.stderr

    # The password can come from stdin, and changing it signs existing logins out.
    changed = cli("users", "set-password", "--email", "late@example.com", data_dir=data_dir,
                  stdin="another-password-2\n")
    assert changed.returncode == 0, changed.stderr
    r = httpx.get(f"{live_server.url}/api/v2/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    live_server.login("late@example.com", "another-password-2")


def test_recipes_and_sessions_run_from_the_command_line(live_server: LiveServer, tmp_path: Path) -> None:
    from conftest import ffmpeg_media

    studio = live_server.studio
    studio.accounts.create_user("cli@example.com", "cli-password-1")
    token = live_server.login("cli@example.com", "cli-password-1")
    auth = {"Authorization": f"Bearer {token}"}
    key = httpx.post(f"{live_server.url}/api/v2/account/api-key/regenerate", headers=auth).json()["api_key"]
    clip = ffmpeg_media(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                        "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-shortest")
    with clip.open("rb") as fh:
        media_id = httpx.post(f"{live_server.url}/api/v2/media/upload", headers=auth,
                              files={"file": ("clip.mp4", fh)}).json()["id"]
    env = {**os.environ, "MINIAI_URL": live_server.url, "MINIAI_API_KEY": key}

    def remote(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120)

    listed = remote("recipes", "list")
    assert listed.returncode == 0 and "media_split" in listed.stdout, listed.stderr
    out_dir = tmp_path / "out"
    done = remote("recipes", "run", "media_split", "-i", f"source_video_url={media_id}", "--name", "From CLI",
                  "--download", str(out_dir))
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "succeeded" in done.stdout and "split: succeeded" in done.stderr  # per-node progress lines
    files = sorted(p.name for p in out_dir.iterdir())
    assert any(name.endswith(".mp4") for name in files) and any(name.startswith("split-audio") for name in files)

    session_id = done.stdout.splitlines()[0].split()[-1]
    again = remote("sessions", "run", session_id)
    assert again.returncode == 0 and "succeeded" in again.stdout, again.stderr

    bad = remote("recipes", "run", "media_split", "-i", "source_video_url=http://127.0.0.1/x.mp4")
    assert bad.returncode == 2 and "URL_NOT_ALLOWED" in bad.stderr
    nokey = subprocess.run([CLI, "recipes", "list"], capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in env.items() if k != "MINIAI_API_KEY"})
    assert nokey.returncode == 2 and "AUTHORIZATION_HEADER_REQUIRED" in nokey.stderr


def test_remote_commands_answer_json_for_scripts(live_server: LiveServer, tmp_path: Path) -> None:
    import json

    from PIL import Image

    live_server.studio.accounts.create_user("json@example.com", "json-password-1")
    auth = {"Authorization": f"Bearer {live_server.login('json@example.com', 'json-password-1')}"}
    key = httpx.post(f"{live_server.url}/api/v2/account/api-key/regenerate", headers=auth).json()["api_key"]
    env = {**os.environ, "MINIAI_URL": live_server.url, "MINIAI_API_KEY": key}

    def remote(*args: str) -> Any:
        done = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return json.loads(done.stdout)

    session = httpx.post(f"{live_server.url}/api/v2/sessions", headers=auth, json={"name": "Scripted"}).json()
    picture = tmp_path / "red.png"
    Image.new("RGB", (8, 6), "red").save(picture)
    with picture.open("rb") as fh:
        media_id = httpx.post(f"{live_server.url}/api/v2/media/upload", headers=auth,
                              params={"session_id": session["id"]}, files={"file": ("red.png", fh)}).json()["id"]

    listed = remote("sessions", "list")
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Scripted"
    shown = remote("sessions", "get", session["id"])
    assert shown["session"]["id"] == session["id"] and shown["run"] is None
    gallery = remote("media", "list", "--type", "image")
    assert [m["id"] for g in gallery["groups"] for m in g["items"]] == [media_id]
    saved = remote("media", "download", media_id, "--output", str(tmp_path / "out.png"))
    assert Path(saved["path"]).read_bytes() == picture.read_bytes()
    assert remote("billing", "balance")["billing"] == "off"
    assert remote("gpu", "status")["state"] == "stopped"
    assert remote("gpu", "start")["state"] == "ready"  # the runtime on this machine's CPU
    assert remote("gpu", "status")["state"] == "ready"
    assert remote("gpu", "stop")["mode"] == "graceful"
    assert remote("gpu", "status")["state"] == "stopped"
    assert any(r["id"] == "media_split" for r in remote("recipes", "list"))

    missing = subprocess.run([CLI, "sessions", "get", "00000000-0000-4000-8000-000000000000"], capture_output=True,
                             text=True, env=env, timeout=60)
    assert missing.returncode == 2 and "SESSION_NOT_FOUND" in missing.stderr, missing.stderr
