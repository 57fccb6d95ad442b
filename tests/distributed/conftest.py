"""Two real ``miniaistudio serve`` processes (A and B) on one PostgreSQL database and one Redis, as
behind a load balancer: each with its own data dir (scratch, child processes) and one shared media
folder. PostgreSQL comes from tests/servers.py; Redis is this folder's own, so a test may restart it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import servers
from conftest import Api
from live_process import CLI, ServedStudio, processes_mentioning, start_server

EMAIL = "cluster@example.com"
LEASE_SECONDS = 2.0  # a killed process's run is taken back within about this (plus one reap tick)


@dataclass
class Cluster:
    a: ServedStudio
    b: ServedStudio
    redis: servers.RedisServer
    root: Path
    database_url: str

    def restart_redis(self) -> None:
        """Stop Redis and start a fresh, empty one on the same port (as after a crash without persistence)."""
        self.redis.stop()
        fresh = servers.RedisServer(Path(tempfile.mkdtemp(dir=self.root, prefix="redis-")) / "r")
        fresh.port, fresh.url = self.redis.port, self.redis.url
        fresh.start()
        self.redis = fresh

    def kill9_a(self) -> None:
        """kill -9 of A, then of the ffmpeg it left running (they write under A's scratch)."""
        self.a.kill9()
        for pid in processes_mentioning(str(self.a.data_dir.resolve() / "scratch")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster")) as started:
        yield started


@contextlib.contextmanager
def running_cluster(root: Path, **env: str) -> Iterator[Cluster]:
    """A and B started on a fresh database and Redis (``env``: more settings for both), stopped after."""
    postgres, _ = servers.BACKEND.servers.ensure_started()
    database = postgres.create_database()
    redis = servers.RedisServer(root / "redis")
    redis.start()
    shared = {"MINIAI_DATABASE_URL": postgres.url(database), "MINIAI_REDIS_URL": redis.url,
              "MINIAI_MEDIA_DIR": str(root / "media"), "MINIAI_RUN_LEASE_SECONDS": str(LEASE_SECONDS), **env}
    a = ServedStudio(root / "a", root / "a.log")
    b = ServedStudio(root / "b", root / "b.log")
    for served in (a, b):
        served.env.update(shared)
    a.create_user(EMAIL)
    cluster = Cluster(a, b, redis, root, postgres.url(database))
    try:
        start_together(a, b)
        yield cluster
    finally:
        a.stop()
        b.stop()
        cluster.redis.stop()
        postgres.drop_database(database)


def start_together(*studios: ServedStudio, timeout: float = 60) -> None:
    """Start the servers at once (each takes seconds to import), then wait until each answers."""
    for served in studios:
        served.processes.append(start_server(CLI, served.data_dir, served.port, served.env, served.log))
    deadline = time.monotonic() + timeout
    for served in studios:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{served.url}/api/v2/ping", timeout=2).status_code == 200:
                    break
            if served.processes[-1].poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start; log:\n{served.log.read_text()[-3000:]}")
            time.sleep(0.1)


@dataclass
class Frame:
    event: str
    id: str | None
    data: dict[str, Any]


async def frames(client: httpx.AsyncClient, session_id: str, headers: dict[str, str],
                 params: dict[str, str]) -> AsyncIterator[Frame]:
    """The Server-Sent Events of a session, parsed (comments and pings skipped)."""
    async with client.stream("GET", "/api/v2/session/events", params={"session_id": session_id, **params},
                             headers=headers, timeout=httpx.Timeout(10, read=60)) as stream:
        assert stream.status_code == 200
        event, event_id, data = "message", None, ""
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif not line and data:
                yield Frame(event, event_id, json.loads(data))
                event, event_id, data = "message", None, ""


class Watcher:
    """An open event stream of one session, read in the background."""

    def __init__(self, api: Api, session_id: str, *, headers: dict[str, str] | None = None,
                 params: dict[str, str] | None = None) -> None:
        self._queue: asyncio.Queue[Frame | BaseException] = asyncio.Queue()
        self._task = asyncio.create_task(self._read(api, session_id, {**api.headers, **(headers or {})},
                                                    params or {}))

    async def _read(self, api: Api, session_id: str, headers: dict[str, str], params: dict[str, str]) -> None:
        try:
            async for frame in frames(api.client, session_id, headers, params):
                self._queue.put_nowait(frame)
        except Exception as exc:  # told to the test waiting for the next frame
            self._queue.put_nowait(exc)

    async def next(self, timeout: float = 30) -> Frame:
        item = await asyncio.wait_for(self._queue.get(), timeout)
        if isinstance(item, BaseException):
            raise item
        return item

    async def until(self, event: str, timeout: float = 30) -> list[Frame]:
        """Frames up to and including the first ``event``."""
        seen: list[Frame] = []
        while not seen or seen[-1].event != event:
            seen.append(await self.next(timeout))
        return seen

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
