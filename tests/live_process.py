"""A studio served by the real ``miniaistudio serve`` command in a child process: for tests that
kill the server (kill -9), watch its event loop from outside, or look for the processes it left."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import servers
from conftest import PASSWORD, Api, edge, node

CLI = Path(sys.executable).with_name("miniaistudio")
SECRET = "crash-test-secret-0123456789abcdef0123456789"


SLOW_TRIM = {"mode": "reencode", "preset": "slower", "crf": 18}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (entry / "stat").read_text().split(")", 1)[-1].split()
            if text in cmdline and status and status[0] != "Z":
                pids.append(int(entry.name))
    return pids


async def wait_for(condition: Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_server(cli: Path, data_dir: Path, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(cli), "serve", "--port", str(port), "--data-dir", str(data_dir)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)


async def signed_in(base_url: str, email: str) -> Api:
    """An :class:`Api` over real HTTP, once the server answers ``/ping``."""
    client = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def ping() -> bool:
        with contextlib.suppress(httpx.TransportError):
            return (await client.get("/api/v2/ping")).status_code == 200
        return False

    await wait_for(ping, 20, "the server to answer")
    r = await client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return Api(client, r.json()["token"], email)


# -- a slow ffmpeg run to kill or cancel -----------------------------------------------------------
async def start_slow_run(api: Api, clip: Path) -> dict[str, Any]:
    """A session whose run re-encodes ``clip`` slowly (node ``trim``), started without waiting."""
    session = await api.new_session()
    video_id = (await api.upload(session["id"], clip))["id"]
    await api.save_graph(session, {"nodes": [node("v", "upload.video", media_ids=[video_id]),
                                             node("trim", "video.trim", **SLOW_TRIM)],
                                   "edges": [edge("v", "video", "trim", "video")]})
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 202, r.text
    return session


async def current_run(api: Api, session_id: str) -> dict[str, Any]:
    r = await api.get("/api/v2/session/execution", session=session_id)
    assert r.status_code == 200, r.text
    run: dict[str, Any] = r.json()["run"]
    return run


async def wait_until_encoding(api: Api, session_id: str, scratch: Path | str) -> None:
    """Until the trim node runs and an ffmpeg writing under ``scratch`` is alive."""
    async def encoding() -> bool:
        run = await current_run(api, session_id)
        return run["nodes"]["trim"]["status"] == "running" and bool(processes_mentioning(str(scratch)))

    await wait_for(encoding, 15, "the trim node's ffmpeg to run")


@dataclass
class ServedStudio:
    """``miniaistudio serve`` on a free loopback port over one data dir; restartable after a kill."""

    data_dir: Path
    log: Path
    env: dict[str, str] = field(default_factory=lambda: {**os.environ, "MINIAI_SECRET_KEY": SECRET})
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env.update(servers.BACKEND.environment_for(self.data_dir))  # the PostgreSQL pass: its database

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_user(self, email: str, *, admin: bool = False) -> None:
        args = [str(CLI), "users", "create", "--email", email, "--password", PASSWORD, "--data-dir",
                str(self.data_dir)]
        if admin:
            args.append("--admin")
        subprocess.run(args, env=self.env, check=True, capture_output=True)

    def start(self, timeout: float = 30) -> None:
        """Start the server and wait (without an event loop) until it answers ``/ping``."""
        self.processes.append(start_server(CLI, self.data_dir, self.port, self.env, self.log))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/api/v2/ping", timeout=2).status_code == 200:
                    return
            if self.processes[-1].poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the server did not start; log:\n{self.log.read_text()[-3000:]}")

    def login(self, email: str) -> str:
        r = httpx.post(f"{self.url}/api/v2/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token

    @property
    def pid(self) -> int:
        return self.processes[-1].pid

    def kill9(self) -> None:
        """SIGKILL: no shutdown handler runs, exactly like a crash or the OOM killer."""
        self.processes[-1].send_signal(signal.SIGKILL)
        self.processes[-1].wait(timeout=10)

    def stop(self) -> None:
        for server in self.processes:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
