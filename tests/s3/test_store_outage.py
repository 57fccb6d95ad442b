"""A bucket that stops answering is the studio's ``MEDIA_STORE_UNAVAILABLE`` (503), never a 500: the request was
fine. The studio here has an S3 server of its own, stopped mid-test."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import servers
from conftest import Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.studio import Studio


@pytest.fixture
def own_s3(tmp_path: Path) -> Iterator[servers.S3Server]:
    server = servers.S3Server(tmp_path / "own-s3")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(tmp_path: Path, own_s3: servers.S3Server) -> Settings:
    return make_settings(tmp_path, **own_s3.settings("outage"))


async def test_a_bucket_that_stops_answering_is_a_503(studio: Studio, api: Api, own_s3: servers.S3Server,
                                                     tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(image)
    media = await api.upload(None, image)
    own_s3.stop()
    studio.store.cache.clear()  # type: ignore[attr-defined]  # as on a machine that has not read it yet
    r = await api.get(f"/api/v2/media/{media['id']}/download")
    assert r.status_code == 503 and r.json()["code"] == "MEDIA_STORE_UNAVAILABLE", r.text
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (4, 5, 6)).save(buffer, format="PNG")
    r = await api.post("/api/v2/media/upload", files={"file": ("b.png", buffer.getvalue())})
    assert r.status_code == 503 and r.json()["code"] == "MEDIA_STORE_UNAVAILABLE", r.text
