"""The run queue: a run asked for while the session runs waits its turn (or is refused when the
client asks not to queue), can be canceled while it waits, and starts by itself with its own id;
the history lists who ran what, how long it took and what it cost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from conftest import Api, edge, node

from .conftest import error_of


def slow_graph(color: str = "#123456") -> dict[str, Any]:
    """Big enough that a run is still going when the next requests arrive."""
    graph: dict[str, Any] = {"nodes": [node("c", "image.solid_color", width=2048, height=2048, color=color)],
                             "edges": []}
    for i in range(6):
        graph["nodes"].append(node(f"a{i}", "image.adjust", contrast=1.0 + i / 10))
        graph["edges"].append(edge("c" if i == 0 else f"a{i - 1}", "image", f"a{i}", "image"))
    return graph


async def wait_for_run(api: Api, sid: str, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = (await api.get(f"/api/v2/session/runs/{run_id}", session=sid)).json()
        if run["status"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.05)


async def test_runs_wait_their_turn_and_can_be_canceled(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    await api.save_graph(session, slow_graph())
    first = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"})
    assert first.status_code == 202 and first.json()["status"] in ("queued", "running")

    second = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"})
    third = await api.post("/api/v2/session/nodes/a2/rerun", session=sid)
    assert second.status_code == 202 and third.status_code == 202, (second.text, third.text)
    assert second.json()["status"] == "queued" and second.json()["nodes"] == {}
    assert third.json()["status"] == "queued" and third.json()["mode"] == "node"
    q2, q3 = second.json()["run_id"], third.json()["run_id"]
    assert len({first.json()["run_id"], q2, q3}) == 3

    waiting = (await api.get("/api/v2/session/queue", session=sid)).json()["items"]
    assert [(w["run_id"], w["position"], w["mode"]) for w in waiting] == [(q2, 1, "full"), (q3, 2, "node")]
    assert (await api.get(f"/api/v2/session/runs/{q2}", session=sid)).json()["status"] == "queued"

    # A client that would rather be refused still is.
    busy = await api.post("/api/v2/session/execute", session=sid, json={"queue": False})
    assert busy.status_code == 409 and error_of(busy)["code"] == "SESSION_BUSY"

    canceled = await api.request("DELETE", f"/api/v2/session/queue/{q3}", session=sid)
    assert canceled.status_code == 200 and canceled.json() == {"run_id": q3, "canceled": True}
    again = await api.request("DELETE", f"/api/v2/session/queue/{q3}", session=sid)
    assert again.json() == {"run_id": q3, "canceled": False}

    # The graph changes after q2 was queued: q2 runs what was saved when it was asked for.
    doc = (await api.get(f"/api/v2/sessions/{sid}")).json()
    await api.save_graph(doc, slow_graph("#abcdef"))

    # Stopping the running run lets the next one start by itself, with the id it was answered with.
    await api.post("/api/v2/session/stop", session=sid)
    done = await wait_for_run(api, sid, q2)
    assert done["status"] == "succeeded", done
    assert done["nodes"]["c"]["status"] in ("succeeded", "cached")
    assert (await api.get("/api/v2/session/queue", session=sid)).json() == {"items": []}
    # The saved graph's colour differs from the queued one's: a new run is not served from q2's cache for c.
    latest = await api.run(sid)
    assert latest["nodes"]["c"]["status"] == "succeeded"

    history = (await api.get("/api/v2/session/executions", session=sid)).json()["items"]
    by_id = {h["run_id"]: h for h in history}
    assert q3 not in by_id  # canceled while waiting: it never ran
    assert by_id[first.json()["run_id"]]["status"] == "canceled"
    item = by_id[q2]
    assert item["user_email"] == api.email and item["user_id"]
    assert item["duration"] is not None and item["duration"] >= 0
    assert item["credits"] >= 0 and item["counts"].get("succeeded", 0) + item["counts"].get("cached", 0) == 7


async def test_a_queued_run_answers_when_it_ends_with_prefer_wait(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    await api.save_graph(session, slow_graph("#222222"))
    first = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"})
    assert first.status_code == 202
    waited = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"},
                            headers={"Prefer": "wait=120"})
    assert waited.status_code == 200, waited.text
    assert waited.json()["status"] == "succeeded" and waited.json()["run_id"] != first.json()["run_id"]


async def test_a_full_queue_is_refused_with_a_reason(api: Api) -> None:
    from miniaistudio.services.run_queue import QUEUE_LIMIT

    session = await api.new_session()
    sid = session["id"]
    await api.save_graph(session, slow_graph("#333333"))
    await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"})
    for _ in range(QUEUE_LIMIT):
        assert (await api.post("/api/v2/session/execute", session=sid, json={})).status_code == 202
    full = await api.post("/api/v2/session/execute", session=sid, json={})
    assert full.status_code == 409 and error_of(full)["code"] == "RUN_QUEUE_FULL"
    assert error_of(full)["details"]["limit"] == QUEUE_LIMIT
    for item in (await api.get("/api/v2/session/queue", session=sid)).json()["items"]:
        await api.request("DELETE", f"/api/v2/session/queue/{item['run_id']}", session=sid)
    await api.post("/api/v2/session/stop", session=sid)
