"""Typed run events: plain JSON data that survives a process boundary, and the v2 wire format."""

from __future__ import annotations

import json

from miniaistudio.api.v2.events import sse_frame
from miniaistudio.core.events import (
    Event,
    NodeProgress,
    NodesCanceled,
    NodeStatusChanged,
    RunFinished,
    RunStarted,
    event_from_dict,
    event_to_dict,
)

MEDIA = {"__type__": "MediaRef", "media_id": "m1", "kind": "image", "mime": "image/png", "storage_key": "k",
         "width": 8, "height": 8, "duration": None}
EVENTS: list[Event] = [
    RunStarted(run_id="r", mode="full", target_node_id=None, nodes={"a": "queued", "b": "cached"}),
    NodeStatusChanged(run_id="r", node_id="a", status="succeeded", progress=1.0, message=None, error=None,
                      outputs={"image": MEDIA, "text": "hi"}),
    NodeProgress(run_id="r", node_id="a", progress=0.5, message="half"),
    NodesCanceled(run_id="r", node_ids=["b"], error={"code": "CANCELED", "message": "run stopped"}),
    RunFinished(run_id="r", status="succeeded", error=None, counts={"succeeded": 1}),
]


def test_events_cross_a_process_boundary_as_json() -> None:
    for event in EVENTS:
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


def test_the_v2_stream_keeps_its_wire_format() -> None:
    frames = [sse_frame(e) for e in EVENTS]
    assert [f["event"] for f in frames] == ["run.started", "node.status", "node.progress", "nodes.canceled",
                                            "run.finished"]
    assert frames[0]["data"] == ('{"type": "run.started", "run_id": "r", "mode": "full", "target_node_id": null, '
                                 '"nodes": {"a": "queued", "b": "cached"}}')
    assert frames[1]["data"] == (
        '{"type": "node.status", "run_id": "r", "node_id": "a", "status": "succeeded", "progress": 1.0, '
        '"message": null, "error": null, "outputs": {"image": {"media_id": "m1", "kind": "image", '
        '"mime": "image/png", "width": 8, "height": 8, "duration": null, "url": "/api/v2/media/m1/download"}, '
        '"text": "hi"}}')
    assert frames[2]["data"] == ('{"type": "node.progress", "run_id": "r", "node_id": "a", "progress": 0.5, '
                                 '"message": "half"}')
    assert frames[3]["data"] == ('{"type": "nodes.canceled", "run_id": "r", "node_ids": ["b"], '
                                 '"error": {"code": "CANCELED", "message": "run stopped"}}')
    assert frames[4]["data"] == ('{"type": "run.finished", "run_id": "r", "status": "succeeded", "error": null, '
                                 '"counts": {"succeeded": 1}}')
