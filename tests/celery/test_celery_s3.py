"""A worker that shares no disk with the API process: media go through the S3 store (a real S3 server that
checks signatures, ``tests/servers.py``), the worker keeps its own data dir and read-through cache."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery_cluster import CELERY_SETTINGS, Workers, attempts_of, fresh_user
from PIL import Image

import servers
from conftest import Api, edge, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.store.db import Database
from miniaistudio.store.migrate import upgrade
from miniaistudio.studio import Studio

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def s3_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    root = tmp_path_factory.mktemp("celery-s3")
    redis = servers.RedisServer(root / "redis")
    redis.start()
    s3 = servers.BACKEND.servers.ensure_s3()
    settings = make_settings(root / "api", database_url=f"sqlite:///{root / 'studio.db'}", redis_url=redis.url,
                             **s3.settings(f"celery-{uuid.uuid4().hex[:12]}"), **CELERY_SETTINGS)
    settings.ensure_dirs()
    db = Database(settings.resolved_database_url)
    upgrade(db)
    db.dispose()
    workers = Workers(settings, root, data_dir=root / "worker")
    workers.add("s3-w", "gpu,cpu")
    try:
        workers.ensure_all()
        yield settings, root / "worker"
    finally:
        workers.stop_all()
        redis.stop()


@pytest.fixture
def settings(s3_cluster: tuple[Settings, Path]) -> Settings:
    return s3_cluster[0]


@pytest.fixture
async def api(studio: Studio, client: Any) -> AsyncIterator[Api]:
    yield await fresh_user(studio, client)


async def test_a_worker_without_the_api_s_disk_reads_and_writes_media_through_s3(
        api: Api, settings: Settings, s3_cluster: tuple[Settings, Path], tmp_path: Path) -> None:
    session = await api.new_session()
    await api.save_graph(session, {
        "nodes": [node("solid", "image.solid_color", width=20, height=10, color="#00ff00"),
                  node("rotate", "image.rotate", angle=90)],
        "edges": [edge("solid", "image", "rotate", "image")]})
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    assert {a["worker"] for a in attempts_of(settings, run["run_id"]).values()} == {"s3-w@test"}
    r = await api.get(f"/api/v2/media/{run['nodes']['rotate']['outputs']['image']['media_id']}/download",
                      follow_redirects=False)
    assert r.status_code in (200, 302, 307), r.text
    if r.status_code != 200:  # a presigned S3 URL

        async with httpx.AsyncClient() as plain:
            r = await plain.get(r.headers["location"])
        assert r.status_code == 200
    (tmp_path / "out.png").write_bytes(r.content)
    with Image.open(tmp_path / "out.png") as img:
        assert img.size == (10, 20)
    worker_media = s3_cluster[1] / "media"
    assert not worker_media.exists() or not list(worker_media.rglob("*.png"))  # the worker wrote to S3 only
    assert not list(settings.resolved_media_dir.rglob("*.png"))  # nothing on the API's disk either
