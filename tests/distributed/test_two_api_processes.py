"""Two API processes behind one load balancer: a run started through one is watched, resumed,
stopped and taken back through the other (tests/distributed/conftest.py builds the cluster)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, edge, make_settings, node
from live_process import (
    SLOW_TRIM,
    current_run,
    processes_mentioning,
    signed_in,
    start_slow_run,
    wait_for,
    wait_until_encoding,
)
from miniaistudio.studio import Studio

from .conftest import EMAIL, LEASE_SECONDS, Cluster, Watcher

FAST_GRAPH = {"nodes": [node("c", "image.solid_color", width=32, height=32), node("a", "image.adjust", invert=True),
                        node("r", "image.resize", width=16, height=16, mode="stretch")],
              "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image")]}


async def both(cluster: Cluster) -> tuple[Api, Api]:
    return await signed_in(cluster.a.url, EMAIL), await signed_in(cluster.b.url, EMAIL)


async def fast_session(api: Api) -> str:
    session = await api.new_session()
    await api.save_graph(session, FAST_GRAPH)
    return str(session["id"])


async def execute(api: Api, session_id: str) -> None:
    r = await api.post("/api/v2/session/execute", session=session_id, json={"mode": "full"})
    assert r.status_code == 202, r.text


async def run_ends(api: Api, session_id: str, timeout: float = 15) -> dict[str, Any]:
    async def ended() -> dict[str, Any] | None:
        run = await current_run(api, session_id)
        return run if run is not None and run["status"] not in ("queued", "running") else None

    run: dict[str, Any] = await wait_for(ended, timeout, "the run to end")
    return run


async def test_a_run_submitted_through_a_is_watched_from_b(cluster: Cluster) -> None:
    a, b = await both(cluster)
    sid = await fast_session(a)
    watcher = Watcher(b, sid)
    try:
        snapshot = await watcher.next()
        assert snapshot.event == "snapshot" and snapshot.id
        await execute(a, sid)
        seen = await watcher.until("run.finished")
    finally:
        await watcher.close()
    assert seen[0].event == "run.started"
    assert seen[-1].data["status"] == "succeeded", seen[-1]
    done = {f.data["node_id"] for f in seen if f.event == "node.status" and f.data["status"] == "succeeded"}
    assert done == {"c", "a", "r"}
    ids = [f.id for f in seen]
    assert all(ids) and len(set(ids)) == len(ids)
    assert (await current_run(b, sid))["status"] == "succeeded"


async def test_a_client_reconnecting_to_the_other_process_misses_nothing(cluster: Cluster) -> None:
    a, b = await both(cluster)
    sid = await fast_session(a)
    reference, partial = Watcher(b, sid), Watcher(a, sid)
    opened = [reference, partial]
    try:
        await reference.next()  # snapshots: both are subscribed
        await partial.next()
        await execute(a, sid)
        first = await partial.next()
        await partial.close()  # the client drops after its first event...
        everything = await reference.until("run.finished")
        # ...and comes back through the other process, by header or (EventSource-less clients) by query.
        by_header = Watcher(b, sid, headers={"Last-Event-ID": str(first.id)})
        by_query = Watcher(a, sid, params={"last_event_id": str(first.id)})
        opened += [by_header, by_query]
        rest = await by_header.until("run.finished")
        rest_by_query = await by_query.until("run.finished")
    finally:
        for watcher in opened:
            await watcher.close()
    assert first.event == "run.started"
    assert [(f.id, f.event) for f in [first, *rest]] == [(f.id, f.event) for f in everything]
    assert [f.id for f in rest_by_query] == [f.id for f in rest]
    assert [f.data for f in rest] == [f.data for f in everything[1:]]


async def test_a_process_starting_leaves_the_run_on_a_alone_and_cancel_and_stop_through_b_reach_it(
        cluster: Cluster, long_clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a, b = await both(cluster)
    session = await a.new_session()
    video_id = (await a.upload(session["id"], long_clip))["id"]
    nodes = [node("v", "upload.video", media_ids=[video_id]), node("trim", "video.trim", **SLOW_TRIM),
             node("next", "video.trim")]
    edges = [edge("v", "video", "trim", "video"), edge("trim", "video", "next", "video")]
    await a.save_graph(session, {"nodes": nodes, "edges": edges})
    await execute(a, session["id"])
    scratch = cluster.a.data_dir / "scratch"
    await wait_until_encoding(a, session["id"], scratch)
    # A third API process starts (here in the test's own process): its start-up recovery must not take
    # A's live run for one a crash left behind.
    third = Studio(make_settings(tmp_path, database_url=cluster.database_url, redis_url=cluster.redis.url,
                                 media_dir=cluster.root / "media", run_lease_seconds=LEASE_SECONDS))
    with caplog.at_level(logging.WARNING, logger="miniaistudio.studio"):
        await third.start()
        await third.stop()
    assert not [r.message for r in caplog.records if "interrupted by the last shutdown" in r.message]

    async def running_seen_from_b() -> dict[str, Any] | None:  # recorded by A's writer within its flush interval
        run = await current_run(b, session["id"])
        return run if run is not None and run["status"] == "running" else None

    await wait_for(running_seen_from_b, 15, "B to see A's run running")
    assert processes_mentioning(str(scratch))  # A's ffmpeg still encodes
    # One active run per session across the processes: B refuses to start another.
    busy = await b.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert busy.status_code == 409 and busy.json()["code"] == "SESSION_BUSY", busy.text
    # A node cancel through B reaches A (the queued node after the encoding one)...
    r = await b.post("/api/v2/session/nodes/next/cancel", session=session["id"])
    assert r.status_code == 200 and r.json()["canceled"] is True, r.text

    async def next_canceled() -> bool:
        run = await current_run(b, session["id"])
        return bool(run["nodes"]["next"]["status"] == "canceled" and run["nodes"]["trim"]["status"] == "running")

    await wait_for(next_canceled, 10, "the cancel to reach A")
    # ...and so does a stop.
    r = await b.post("/api/v2/session/stop", session=session["id"])
    assert r.status_code == 200 and r.json()["stopped"] is True and r.json()["run_id"], r.text
    run = await run_ends(b, session["id"])
    assert run["status"] == "canceled" and run["nodes"]["trim"]["status"] == "canceled", run

    async def ffmpeg_gone() -> bool:
        return not processes_mentioning(str(scratch))

    await wait_for(ffmpeg_gone, 5, "the ffmpeg on A to exit")


async def test_both_processes_reconnect_after_a_redis_restart(cluster: Cluster) -> None:
    a, b = await both(cluster)
    sid = await fast_session(a)
    watcher = Watcher(b, sid)
    try:
        await watcher.next()
        cluster.restart_redis()  # B's open stream and A's publisher both lose their connection
        await execute(a, sid)
        seen = await watcher.until("run.finished")
    finally:
        await watcher.close()
    assert seen[-1].data["status"] == "succeeded", seen[-1]
    await signed_in(cluster.b.url, EMAIL)  # sign-in throttle counters live in Redis too


async def test_kill_9_of_the_process_running_a_run_ends_it_interrupted(cluster: Cluster, long_clip: Path) -> None:
    a, b = await both(cluster)
    session = await start_slow_run(a, long_clip)
    sid = session["id"]
    await wait_until_encoding(a, sid, cluster.a.data_dir / "scratch")

    async def recorded() -> bool:  # A writes its run's state within its flush interval
        run = await current_run(b, sid)
        return run is not None and run["status"] == "running"

    await wait_for(recorded, 5, "B to see the run running")
    watcher = Watcher(b, sid)
    try:
        snapshot = await watcher.next()
        assert snapshot.data["run"]["status"] == "running"
        cluster.kill9_a()
        seen = await watcher.until("run.finished")
    finally:
        await watcher.close()
    assert seen[-1].data["status"] == "interrupted", seen[-1]
    run = await run_ends(b, sid)
    assert run["status"] == "interrupted" and run["nodes"]["trim"]["status"] == "interrupted", run
    # The session is free again: B runs it.
    saved = (await b.get(f"/api/v2/sessions/{sid}")).json()
    await b.save_graph(saved, FAST_GRAPH)
    await execute(b, sid)
    assert (await run_ends(b, sid))["status"] == "succeeded"
