"""Miraflow outputs in the gallery: each job's media under a group named after the job (issue 14)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import expect, sign_in
from .test_loops_and_recipes import api_client

pytestmark = pytest.mark.browser

Page = Any


def thumbnail_job(studio: LiveStudio, name: str) -> str:
    """A Miraflow thumbnail made through the door with an mfl_ key, polled until it is done; its media id."""
    with api_client(studio) as client:
        r = client.post("/api/keys", json={"name": "gallery test", "scopes": ["read", "generate:image"]})
        assert r.status_code == 200, r.text
        key = r.json()["key"]
    with httpx.Client(base_url=studio.url, timeout=30, headers={"x-api-key": key}) as door:
        r = door.post("/api/thumbnail/generate", json={"prompt": "Sourdough bread from scratch", "name": name,
                                                      "aspectRatio": "16:9"})
        assert r.status_code == 200 and r.json()["result"] == "success", r.text
        job_id = r.json()["jobId"]
        deadline = time.monotonic() + 120
        while True:
            body = door.get(f"/api/thumbnail/{job_id}").json()
            if body.get("mediaId") or body.get("status") in ("failed", "completed"):
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.3)
    assert body.get("mediaId"), body
    return str(body["mediaId"])


def test_the_gallery_groups_miraflow_outputs_by_job(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    thumbnail_job(live_studio, "Baking video thumbnail")
    sign_in(page, live_studio)
    page.goto("/gallery")
    group = page.get_by_role("region", name="Media of miraflow · Baking video thumbnail")
    expect(group).to_be_visible()
    expect(group.get_by_role("heading", name="miraflow · Baking video thumbnail")).to_be_visible()
    expect(group.locator("img").first).to_be_visible()
    shots("miraflow-in-gallery")
