"""A live studio for the SDKs: ``miniaistudio serve`` on a loopback port (tests/live_process.py),
one user with a ``mas_`` key, and a tiny random-weight text-to-image model installed, so the
reference document's examples (recipe ``prompt_to_avatar``) run for real."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from live_process import CLI, ServedStudio
from models.tiny import build_sd

EMAIL = "sdk@example.com"


@dataclass(frozen=True)
class LiveStudio:
    served: ServedStudio
    api_key: str

    @property
    def url(self) -> str:
        return self.served.url

    def get(self, path: str, *, session_id: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if session_id is not None:
            headers["X-Session-ID"] = session_id
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=30)


@pytest.fixture(scope="module")
def live_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    root = tmp_path_factory.mktemp("sdk-studio")
    served = ServedStudio(root / "data", root / "server.log")
    served.env.update({"MINIAI_MODELS_DIR": str(root / "models"), "HF_HUB_OFFLINE": "1",
                       # the SDK's tests and examples share one key; its rate limit is unit-tested
                       "MINIAI_API_KEY_RATE_LIMIT_PER_MINUTE": "100000"})
    tiny = build_sd(root / "tiny-sd")
    subprocess.run([str(CLI), "models", "import", str(tiny), "--name", "tiny-sd", "--data-dir", str(served.data_dir)],
                   env=served.env, check=True, capture_output=True)
    served.create_user(EMAIL)
    served.start()
    try:
        token = served.login(EMAIL)
        r = httpx.post(f"{served.url}/api/v2/account/api-key/regenerate",
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200, r.text
        yield LiveStudio(served, r.json()["api_key"])
    finally:
        served.stop()


def log_of(studio: LiveStudio) -> str:
    return Path(studio.served.log).read_text()[-3000:]
