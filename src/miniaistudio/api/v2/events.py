"""The v2 wire format of run events (the SSE stream at ``/api/v2/session/events``).

Each event is ``{"type": ..., **fields}`` in the event class's field order, with node outputs
as clients see them (media refs with their download URL). ``run.finished`` adds, when the
engine collected them, ``loops`` (as ``GET /session/execution`` reports them) and ``outputs``
(as ``GET /session/outputs`` answers), so the canvas need not ask for either after a run.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.events import Event, NodeStatusChanged, RunFinished, event_to_dict
from ...core.values import public_outputs
from .urls import V2_URLS


def event_body(event: Event) -> dict[str, Any]:
    body = event_to_dict(event)
    if isinstance(event, NodeStatusChanged):
        body["outputs"] = public_outputs(event.outputs, V2_URLS)
    elif isinstance(event, RunFinished):
        loops, saved = body.pop("loops"), body.pop("saved")
        if loops is not None:
            body["loops"] = {loop_id: [_public_iteration(it) for it in iterations]
                             for loop_id, iterations in loops.items()}
        if saved is not None:
            body["outputs"] = {"nodes": {
                nid: {"outputs": public_outputs(entry["outputs"], V2_URLS), "source": entry["source"]}
                for nid, entry in saved.items()}}
    return body


def _public_iteration(iteration: dict[str, Any]) -> dict[str, Any]:
    nodes = {member: None if state is None else {**state, "outputs": public_outputs(state.get("outputs"), V2_URLS)}
             for member, state in iteration["nodes"].items()}
    return {**iteration, "nodes": nodes}


def sse_frame(event: Event) -> dict[str, str]:
    """One Server-Sent Event: its name is the event type, its data the JSON body."""
    return {"event": event.type, "data": json.dumps(event_body(event))}
