"""A real ``miniaistudio serve`` killed (-9) in the middle of a generation job: after the restart the
job is ``failed`` with a clear code and its credit hold is released."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

import servers
from live_process import CLI, ServedStudio, processes_mentioning

from .conftest import IMAGE_MODEL, IMAGE_PRICE, bearer

pytestmark = pytest.mark.timeout(180)
EMAIL = "crash@example.com"


def balance(served: ServedStudio, token: str) -> tuple[int, int]:
    body = httpx.get(f"{served.url}/api/v2/billing/balance", headers=bearer(token), timeout=10).json()
    return body["available"], body["reserved"]


def job_progress(data_dir: Path, job_id: str) -> int:
    with servers.BACKEND.connect(data_dir) as db:
        return int(db.execute(text("SELECT progress FROM jobs WHERE id = :id"), {"id": job_id}).scalar_one())


async def test_kill_9_mid_job_then_restart_fails_the_job_and_releases_the_hold(tmp_path: Path,
                                                                                 tiny_sd: Path) -> None:
    data_dir = tmp_path / "data"
    served = ServedStudio(data_dir, tmp_path / "server.log")
    served.env.update({"MINIAI_BILLING": "credits", "MINIAI_GPU_PRICE_PER_MINUTE": "0", "HF_HUB_OFFLINE": "1",
                       "MINIAI_MODELS_DIR": str(tmp_path / "models")})
    served.create_user(EMAIL)
    imported = subprocess.run([str(CLI), "models", "import", str(tiny_sd), "--name", IMAGE_MODEL, "--credits",
                               str(IMAGE_PRICE), "--data-dir", str(data_dir)], env=served.env, capture_output=True,
                              text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    with servers.BACKEND.connect(data_dir) as db:  # many steps: the job is still running when killed
        db.execute(text("UPDATE models SET default_params = :params"), {"params": json.dumps({"steps": 200})})
    granted = subprocess.run([str(CLI), "credits", "grant", "--email", EMAIL, "--amount", "100", "--data-dir",
                              str(data_dir)], env=served.env, capture_output=True, text=True, timeout=60)
    assert granted.returncode == 0, granted.stderr
    try:
        served.start()
        token = served.login(EMAIL)
        key = httpx.post(f"{served.url}/api/v1/keys", headers=bearer(token), timeout=10,
                         json={"name": "crash", "scopes": ["read", "generate:image"]}).json()["key"]
        r = httpx.post(f"{served.url}/api/v1/generate/image", headers=bearer(key), timeout=30,
                       json={"prompt": "a slow lighthouse", "output_format": "png"})
        assert r.status_code == 200, r.text
        generation_id = r.json()["id"]
        deadline = time.monotonic() + 60
        while (progress := job_progress(data_dir, generation_id)) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)  # the job's progress is written as its run denoises
        assert 0 < progress < 100
        running = httpx.get(f"{served.url}/api/v1/generations/{generation_id}", headers=bearer(key), timeout=10)
        assert running.json()["status"] == "processing", running.text
        assert balance(served, token) == (100 - IMAGE_PRICE, IMAGE_PRICE)
        served.kill9()
        for pid in processes_mentioning(str(data_dir.resolve())):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        served.start()
        token = served.login(EMAIL)
        after = httpx.get(f"{served.url}/api/v1/generations/{generation_id}", headers=bearer(key), timeout=10).json()
        assert after["status"] == "failed" and after["error"]["code"] == "job_interrupted", after
        assert after["output_url"] is None and after["credits_charged"] == 0 and after["completed_at"]
        assert balance(served, token) == (100, 0)
    finally:
        served.stop()
