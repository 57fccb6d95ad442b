"""The v2 wire format of run events (the SSE stream at ``/api/v2/session/events``).

Each event is ``{"type": ..., **fields}`` in the event class's field order; node outputs
are shown as clients see them (media refs with their download URL).
"""

from __future__ import annotations

import json
from typing import Any

from ...core.engine import public_outputs
from ...core.events import Event, NodeStatusChanged, event_to_dict


def event_body(event: Event) -> dict[str, Any]:
    body = event_to_dict(event)
    if isinstance(event, NodeStatusChanged):
        body["outputs"] = public_outputs(event.outputs)
    return body


def sse_frame(event: Event) -> dict[str, str]:
    """One Server-Sent Event: its name is the event type, its data the JSON body."""
    return {"event": event.type, "data": json.dumps(event_body(event))}
