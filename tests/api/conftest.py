"""Fixtures for /api/v2 tests: a live uvicorn server (for streaming responses such as SSE,
which httpx's ASGITransport buffers) and small helpers shared by the API tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import servers
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A studio served by uvicorn on 127.0.0.1 in a background thread."""

    url: str
    studio: Studio
    settings: Settings

    def login(self, email: str, password: str) -> str:
        r = httpx.post(f"{self.url}/api/v2/auth/login", json={"email": email, "password": password}, timeout=10)
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real HTTP server on a free port; its studio starts and stops with the server's lifespan."""
    data_dir = tmp_path / "live-data"
    settings = Settings(data_dir=data_dir, secret_key="live-secret-key-0123456789abcdef0123",
                        max_upload_bytes=64 * 1024 * 1024, **servers.BACKEND.settings_for(data_dir))
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app.state.studio, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error body, checked to carry a stable code and a message."""
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body
