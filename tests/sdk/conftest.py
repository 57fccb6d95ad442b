"""The SDKs' studios. A live one, shared by the package: ``miniaistudio serve`` on a loopback port
(tests/live_process.py), one user with a ``mas_`` key, and a tiny random-weight text-to-image model
installed, so the reference document's examples (recipe ``prompt_to_avatar``) run for real. And
per test, the real app over ASGI behind a recording ``StudioNetwork``, for the Python SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import TEST_HOST
from live_process import ServedStudio
from miniaistudio.app import create_app
from miniaistudio.sdk import AsyncClient, RetryPolicy
from miniaistudio.studio import Studio
from models.tiny import build_sd

EMAIL = "sdk@example.com"
ADMIN = "sdk-admin@example.com"


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


@pytest.fixture(scope="package")
def live_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    root = tmp_path_factory.mktemp("sdk-studio")
    served = ServedStudio(root / "data", root / "server.log")
    served.env.update({"MINIAI_MODELS_DIR": str(root / "models"), "HF_HUB_OFFLINE": "1",
                       # the SDK's tests and examples share one key; its rate limit is unit-tested
                       "MINIAI_API_KEY_RATE_LIMIT_PER_MINUTE": "100000"})
    tiny = build_sd(served.data_dir / "imports" / "tiny-sd")  # the server's default import folder
    served.create_user(ADMIN, admin=True)
    served.create_user(EMAIL)
    served.start()
    try:
        admin = {"Authorization": f"Bearer {served.login(ADMIN)}"}
        r = httpx.post(f"{served.url}/api/v2/models/import", headers=admin, timeout=120,
                       json={"path": str(tiny), "name": "tiny-sd", "default_params": {"steps": 2}})
        assert r.status_code == 201, r.text
        token = served.login(EMAIL)
        r = httpx.post(f"{served.url}/api/v2/account/api-key/regenerate",
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200, r.text
        yield LiveStudio(served, r.json()["api_key"])
    finally:
        served.stop()


def log_of(studio: LiveStudio) -> str:
    return Path(studio.served.log).read_text()[-3000:]


# -- the Python SDK against the ASGI app -----------------------------------------------------------
class StudioNetwork(httpx.AsyncBaseTransport):
    """The network between the SDK and the real app (ASGI): it records every request, and can
    fail like a network or a proxy does — refuse connections, answer a proxy's 503 — before the
    request reaches the app (the app itself is never faked)."""

    def __init__(self, app: Any) -> None:
        self.app = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []
        self.refuse_connections = 0
        self.lose_answers = 0
        self.lose_answers_after_app = 0  # the app did the work; its answer is lost on the way back
        self.proxy_errors: list[tuple[int, dict[str, str]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.refuse_connections:
            self.refuse_connections -= 1
            raise httpx.ConnectError("connection refused", request=request)
        if self.lose_answers:  # sent, but the answer never came
            self.lose_answers -= 1
            raise httpx.ReadTimeout("no answer", request=request)
        if self.proxy_errors:
            status, headers = self.proxy_errors.pop(0)
            self.statuses.append(status)
            return httpx.Response(status, headers=headers, text="<html>upstream unavailable</html>")
        response = await self.app.handle_async_request(request)
        self.statuses.append(response.status_code)
        if self.lose_answers_after_app:
            self.lose_answers_after_app -= 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


@pytest.fixture
async def sdk_key(make_user: Callable[..., Any]) -> str:
    api = await make_user("sdk@example.com")
    r = await api.post("/api/v2/account/api-key/regenerate")
    assert r.status_code == 200, r.text
    key: str = r.json()["api_key"]
    return key


@pytest.fixture
def network(studio: Studio) -> StudioNetwork:
    return StudioNetwork(create_app(studio.settings, studio))


@pytest.fixture
async def sdk(network: StudioNetwork, sdk_key: str) -> AsyncIterator[AsyncClient]:
    fast = RetryPolicy(initial_backoff=0.01, max_backoff=0.05)
    async with AsyncClient(f"http://{TEST_HOST}", api_key=sdk_key, transport=network, retry=fast) as client:
        yield client
