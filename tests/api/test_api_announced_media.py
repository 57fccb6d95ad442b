"""A node's new media is announced only once a GET can serve it (issue 18, item 14: the canvas logged
404s for fresh outputs, since node events went out before the run writer's next flush)."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import Api, edge, node
from miniaistudio.core.events import NodeStatusChanged, RunFinished
from miniaistudio.studio import Studio


def media_ids(outputs: dict[str, Any] | None) -> list[str]:
    return [v["media_id"] for v in (outputs or {}).values() if isinstance(v, dict) and "media_id" in v]


async def test_every_announced_media_id_is_served_at_once(api: Api, studio: Studio) -> None:
    # A writer that would not flush on its own during the run: only the announcement rule can save the rows.
    studio.engine._flush_interval = 60.0
    session = await api.new_session()
    graph = {"nodes": [node("c", "image.solid_color", width=32, height=32), node("a", "image.adjust", invert=True),
                       node("r", "image.resize", width=16, height=16, mode="stretch"), node("t", "text", text="hi")],
             "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image")]}
    await api.save_graph(session, graph)
    served: dict[str, int] = {}
    async with studio.bus.subscribe(session["id"]) as queue:
        started = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
        assert started.status_code == 202, started.text
        while True:
            event = await asyncio.wait_for(queue.get(), 60)
            if isinstance(event, RunFinished):
                break
            if isinstance(event, NodeStatusChanged) and event.status == "succeeded":
                for media_id in media_ids(event.outputs):
                    record = await api.get(f"/api/v2/media/{media_id}")
                    body = await api.get(f"/api/v2/media/{media_id}/download")
                    served[event.node_id] = record.status_code if record.status_code != 200 else body.status_code
    assert event.status == "succeeded", event
    assert served == {"c": 200, "a": 200, "r": 200}, served
