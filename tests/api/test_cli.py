"""The ``miniaistudio`` command against the same data dir as a running server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from .conftest import LiveServer

CLI = str(Path(sys.executable).with_name("miniaistudio"))


def cli(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MINIAI_SECRET_KEY": "live-secret-key-0123456789abcdef0123"}
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
