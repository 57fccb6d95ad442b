"""Published apps through the real app: a session of cheap classical image nodes published with one
input of each type, run through the Magnific door with an ``mgn_`` key, billed in credits; a local
file server for URL inputs (the studio trusts loopback fetches: tests only) and loopback webhooks."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, Api, edge, make_settings, node
from miniaistudio.config import Settings
from webhooks.conftest import LOOPBACK_WEBHOOKS

#: Credits per execution: one run of the app below costs 3.
NODE_PRICES = {"image.crop": 2, "image.resize": 1}
APP_PRICE = 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="credits", billing_starting_grant=1000, node_prices=NODE_PRICES,
                         allow_private_urls=True, api_key_rate_limit_per_minute=10_000, **LOOPBACK_WEBHOOKS)


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    """http://127.0.0.1:<port>/coffee.png (a real photo) and /notes.png (text named like an image)."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "coffee.png").write_bytes((FIXTURES / "coffee.png").read_bytes())
    (root / "notes.png").write_text("not an image at all")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def app_graph() -> dict[str, Any]:
    """photo → crop (x from a number input) and → resize (mode from a select input); a solid colour
    (its colour from a text input). Three image outputs."""
    return {"nodes": [node("photo", "upload.image"),
                      node("crop", "image.crop", x=200, width=48, height=40),
                      node("small", "image.resize", x=200, width=32, height=24, mode="stretch"),
                      node("swatch", "image.solid_color", x=400, width=16, height=16, color="#112233")],
            "edges": [edge("photo", "image", "crop", "image"), edge("photo", "image", "small", "image")]}


def publish_body(visibility: str = "private") -> dict[str, Any]:
    return {"name": "Photo kit", "description": "Crop, shrink and a swatch", "visibility": visibility,
            "inputs": [
                {"node_id": "photo", "type": "creation", "label": "Photo"},
                {"node_id": "swatch", "field": "color", "type": "text", "label": "Swatch colour",
                 "required": False, "default": "#aa5500"},
                {"node_id": "crop", "field": "x", "type": "number", "label": "Crop left", "min": 0, "max": 10000,
                 "required": False, "default": 0},
                {"node_id": "small", "field": "mode", "type": "select", "label": "Fit mode"}],
            "outputs": [{"node_id": "crop"}, {"node_id": "small"}, {"node_id": "swatch"}]}


async def publish_app(api: Api, visibility: str = "private") -> dict[str, Any]:
    session = await api.new_session("App source")
    await api.save_graph(session, app_graph())
    r = await api.post(f"/api/v2/sessions/{session['id']}/publish-app", json=publish_body(visibility))
    assert r.status_code == 201, r.text
    app: dict[str, Any] = r.json()
    return app


def input_ids(app: dict[str, Any]) -> dict[str, str]:
    """label -> input id."""
    return {item["label"]: item["id"] for item in app["inputs"]}


async def magnific_key(api: Api) -> dict[str, str]:
    r = await api.post("/api/v2/apps/keys", json={"name": "apps"})
    assert r.status_code == 200, r.text
    assert r.json()["key"].startswith("mgn_")
    return {"X-Magnific-Api-Key": r.json()["key"]}


async def run_when(api: Api, key: dict[str, str], run_id: str, *statuses: str, timeout: float = 60) -> dict[str, Any]:
    """Polls ``GET /v1/ai/apps/runs/{run_id}`` until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        r = await api.client.get(f"/v1/ai/apps/runs/{run_id}", headers=key)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        if data["status"] in statuses:
            return data
        if time.monotonic() > deadline:
            raise AssertionError(f"run still {data['status']}: {data}")
        await asyncio.sleep(0.1)
