"""Crash leftovers: children die with the server, start-up kills what a crash left running and
empties scratch (task folders, partial uploads)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import Api
from live_process import (
    ServedStudio,
    current_run,
    processes_mentioning,
    signed_in,
    start_slow_run,
    wait_until_encoding,
)
from miniaistudio.config import Settings
from miniaistudio.runtimes.processes import _proc_start_time, children
from miniaistudio.studio import Studio


def scratch_entries(data_dir: Path) -> list[str]:
    scratch = data_dir / "scratch"
    return sorted(p.name for p in scratch.iterdir()) if scratch.is_dir() else []


async def test_kill_9_takes_ffmpeg_along_and_restart_empties_scratch(tmp_path: Path, long_clip: Path) -> None:
    data_dir = tmp_path / "data"
    email = "crash@example.com"
    served = ServedStudio(data_dir, tmp_path / "server.log")
    served.create_user(email)
    stalled_upload: asyncio.Task[object] | None = None
    try:
        served.start()
        api = await signed_in(served.url, email)
        session = await start_slow_run(api, long_clip)
        scratch = str((data_dir / "scratch").resolve())  # ffmpeg writes there; the server's argv names data_dir
        await wait_until_encoding(api, session["id"], scratch)
        await asyncio.sleep(0.6)  # the run state is written every 250 ms
        assert json.loads((data_dir / "children.json").read_text())["children"], "the ffmpeg child is recorded"

        release = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield b"\0" * (3 << 20)  # past the 1 MiB flush: a partial file lands in scratch
            await release.wait()

        stalled_upload = asyncio.create_task(api.post("/api/v2/media/upload", content=slow_body(),
                                                      headers={"X-Filename": "partial.mp4"}))
        deadline = time.monotonic() + 10
        while not any(n.startswith("upload-") and (data_dir / "scratch" / n).stat().st_size > 0
                      for n in scratch_entries(data_dir)):
            assert time.monotonic() < deadline, scratch_entries(data_dir)
            await asyncio.sleep(0.05)

        served.kill9()
        killed_at = time.monotonic()
        while processes_mentioning(scratch):  # nothing else kills it: its parent-death signal does
            assert time.monotonic() - killed_at < 2, "ffmpeg outlived the server"
            await asyncio.sleep(0.05)
        release.set()
        with contextlib.suppress(Exception):
            await stalled_upload
        await api.client.aclose()
        assert any(n.startswith("upload-") for n in scratch_entries(data_dir))  # left by the crash

        served.start()
        api = await signed_in(served.url, email)
        assert scratch_entries(data_dir) == []
        run = await current_run(api, session["id"])
        assert run["status"] == "interrupted", run
        await api.client.aclose()
    finally:
        if stalled_upload is not None and not stalled_upload.done():
            stalled_upload.cancel()
        served.stop()


async def test_start_up_kills_recorded_leftovers_and_spares_strangers(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-0123456789abcdef0123")
    settings.ensure_dirs()
    # a leftover child as a crashed server recorded it (spawned here without a parent-death signal)
    leftover = subprocess.Popen(["sleep", "61"], start_new_session=True)
    # a process whose pid is recorded but whose command line is not the recorded one: never signalled
    stranger = subprocess.Popen(["sleep", "62"], start_new_session=True)
    dead_owner = subprocess.Popen(["true"])
    dead_owner.wait()
    (settings.data_dir / "children.json").write_text(json.dumps({
        "owner": {"pid": dead_owner.pid, "start_time": 1},
        "children": [
            {"pid": leftover.pid, "start_time": _proc_start_time(leftover.pid), "cmdline": "sleep\x0061"},
            {"pid": stranger.pid, "start_time": _proc_start_time(stranger.pid), "cmdline": "ffmpeg\x00-i\x00x"},
        ]}))
    (settings.scratch_dir / "task-from-before").mkdir()
    (settings.scratch_dir / "task-from-before" / "half.mp4").write_bytes(b"x" * 100)
    (settings.scratch_dir / "upload-0123abcd").write_bytes(b"partial")
    studio = Studio(settings)
    await studio.start()
    try:
        assert leftover.wait(timeout=2) == -signal.SIGKILL
        assert stranger.poll() is None
        assert scratch_entries(settings.data_dir) == []
        recorded = json.loads(settings.children_file.read_text())
        assert recorded["owner"]["pid"] == os.getpid() and recorded["children"] == []
    finally:
        await studio.stop()
        stranger.kill()
        stranger.wait()


def test_children_are_forgotten_when_done_and_killed_on_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "children.json"
    children.record_in(pid_file)
    try:
        done = children.run(["sh", "-c", "echo hi"], timeout=10)
        assert (done.returncode, done.stdout) == (0, "hi\n")
        assert json.loads(pid_file.read_text())["children"] == []
        started = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            children.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
        assert time.monotonic() - started < 5  # the whole group died: no grandchild holds the pipes
        assert json.loads(pid_file.read_text())["children"] == []
    finally:
        children.record_in(None)


@pytest.mark.parametrize("multipart", [True, False])
async def test_an_upload_cut_off_mid_body_leaves_nothing_in_scratch(api: Api, studio: Studio,
                                                                    multipart: bool) -> None:
    boundary = "cutoffboundary"

    async def cut_off() -> AsyncIterator[bytes]:
        if multipart:
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n"
                   "Content-Type: video/mp4\r\n\r\n").encode()
        for _ in range(3):
            yield b"\0" * (1 << 20)
        await asyncio.sleep(0.05)
        raise ConnectionResetError("the client went away")

    headers = ({"Content-Type": f"multipart/form-data; boundary={boundary}"} if multipart
               else {"X-Filename": "a.mp4"})
    with contextlib.suppress(Exception):
        await api.post("/api/v2/media/upload", content=cut_off(), headers=headers)
    assert scratch_entries(studio.settings.data_dir) == []
