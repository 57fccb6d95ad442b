"""Engine behaviour with a real, slow ffmpeg node: cancel, stop, and crash recovery."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from node_helpers import upload

from conftest import PASSWORD, Api, edge, ffmpeg_media, node
from live_process import free_port, processes_mentioning, signed_in, start_server, wait_for
from miniaistudio.studio import Studio

SLOW_TRIM = {"mode": "reencode", "preset": "slow", "crf": 18}


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 s of 640x480: re-encoding it with preset 'slow' takes far longer than any test waits."""
    return ffmpeg_media(tmp_path_factory.mktemp("long"), "long.mp4", "-f", "lavfi",
                        "-i", "testsrc=size=640x480:rate=25:duration=60", "-f", "lavfi",
                        "-i", "sine=frequency=440:duration=60", "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")


async def start_slow_run(api: Api, clip: Path) -> dict[str, Any]:
    session = await api.new_session()
    video_id = await upload(api, clip, session["id"])
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


async def wait_until_encoding(api: Api, session_id: str, scratch: Path) -> None:
    async def encoding() -> bool:
        run = await current_run(api, session_id)
        return run["nodes"]["trim"]["status"] == "running" and bool(processes_mentioning(str(scratch)))

    await wait_for(encoding, 15, "the trim node's ffmpeg to run")


async def wait_until_finished(api: Api, session_id: str) -> dict[str, Any]:
    async def finished() -> dict[str, Any] | None:
        run = await current_run(api, session_id)
        return run if run["status"] not in ("queued", "running") else None

    result: dict[str, Any] = await wait_for(finished, 5, "the run to finish")
    return result


async def test_cancel_kills_the_running_ffmpeg(api: Api, studio: Studio, long_clip: Path) -> None:
    scratch = studio.settings.scratch_dir
    session = await start_slow_run(api, long_clip)
    await wait_until_encoding(api, session["id"], scratch)
    r = await api.post("/api/v2/session/nodes/trim/cancel", session=session["id"])
    assert r.status_code == 200 and r.json()["canceled"] is True, r.text
    run = await wait_until_finished(api, session["id"])
    assert run["nodes"]["trim"]["status"] == "canceled"
    assert run["status"] == "canceled"

    async def ffmpeg_gone() -> bool:
        return not processes_mentioning(str(scratch))

    await wait_for(ffmpeg_gone, 2, "the ffmpeg child to exit")


async def test_stop_cancels_the_run_and_keeps_the_graph(api: Api, studio: Studio, long_clip: Path) -> None:
    session = await start_slow_run(api, long_clip)
    await wait_until_encoding(api, session["id"], studio.settings.scratch_dir)
    r = await api.post("/api/v2/session/stop", session=session["id"])
    assert r.status_code == 200 and r.json()["stopped"] is True, r.text
    run = await wait_until_finished(api, session["id"])
    assert run["status"] == "canceled"
    assert run["nodes"]["trim"]["status"] == "canceled"
    saved = (await api.get(f"/api/v2/sessions/{session['id']}")).json()
    assert saved["version"] == session["version"]
    assert {n["id"]: n["params"] for n in saved["graph"]["nodes"]}["trim"] == SLOW_TRIM
    assert len(saved["graph"]["edges"]) == 1


# ----------------------------------------------------------------------------- crash recovery

async def test_a_run_killed_with_the_server_is_interrupted(tmp_path: Path, long_clip: Path) -> None:
    cli = Path(sys.executable).with_name("miniaistudio")
    data_dir = tmp_path / "data"
    env = {**os.environ, "MINIAI_SECRET_KEY": "crash-test-secret-0123456789abcdef0123456789"}
    email = "crash@example.com"
    subprocess.run([str(cli), "users", "create", "--email", email, "--password", PASSWORD,
                    "--data-dir", str(data_dir)], env=env, check=True, capture_output=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    servers: list[subprocess.Popen[bytes]] = []
    try:
        servers.append(start_server(cli, data_dir, port, env, tmp_path / "server.log"))
        api = await signed_in(base_url, email)
        session = await start_slow_run(api, long_clip)
        await wait_until_encoding(api, session["id"], data_dir.resolve())
        await asyncio.sleep(0.6)  # the run state is written every 250 ms
        await api.client.aclose()
        servers[0].send_signal(signal.SIGKILL)
        servers[0].wait(timeout=10)
        for pid in processes_mentioning(str(data_dir.resolve())):  # the orphaned ffmpeg of the killed server
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        servers.append(start_server(cli, data_dir, port, env, tmp_path / "server.log"))
        api = await signed_in(base_url, email)
        run = await current_run(api, session["id"])
        assert run["status"] == "interrupted", run
        assert run["nodes"]["trim"]["status"] == "interrupted"
        await api.client.aclose()
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
