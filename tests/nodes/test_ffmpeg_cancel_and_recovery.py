"""Engine behaviour with a real, slow ffmpeg node: cancel, stop, and crash recovery."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import Any

from conftest import Api
from live_process import (
    SLOW_TRIM,
    ServedStudio,
    current_run,
    processes_mentioning,
    signed_in,
    start_slow_run,
    wait_for,
    wait_until_encoding,
)
from miniaistudio.studio import Studio


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
    data_dir = tmp_path / "data"
    email = "crash@example.com"
    served = ServedStudio(data_dir, tmp_path / "server.log")
    served.create_user(email)
    try:
        served.start()
        api = await signed_in(served.url, email)
        session = await start_slow_run(api, long_clip)
        await wait_until_encoding(api, session["id"], data_dir.resolve())
        await asyncio.sleep(0.6)  # the run state is written every 250 ms
        await api.client.aclose()
        served.kill9()
        for pid in processes_mentioning(str(data_dir.resolve())):  # an ffmpeg the kernel has not reaped yet
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        served.start()
        api = await signed_in(served.url, email)
        run = await current_run(api, session["id"])
        assert run["status"] == "interrupted", run
        assert run["nodes"]["trim"]["status"] == "interrupted"
        await api.client.aclose()
    finally:
        served.stop()
