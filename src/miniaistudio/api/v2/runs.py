"""Run answers encoded by the v2 door itself (``GetSessionExecution``, run answers, the SSE snapshot).

A run can hold thousands of node states, so its routes encode the answer (on a worker thread when
large) instead of leaving it to the framework on the event loop; the shape is ``RunPublic``.
"""

from __future__ import annotations

from typing import Any

from ...core.run import RunState
from ...core.urls import Urls
from .schemas import CurrentRunPublic, RunPublic
from .urls import V2_URLS


def run_public(run: RunState, urls: Urls = V2_URLS) -> RunPublic:
    """The run as v2 clients see it: node states with public outputs, loop summaries."""
    return RunPublic.of_run(run, urls)


def run_json(run: RunState | None, *, wrapped: bool = False, urls: Urls = V2_URLS) -> bytes:
    """The run's JSON answer (``null`` for none); ``wrapped`` answers ``{"run": ...}`` (CurrentRunPublic)."""
    public = run_public(run, urls) if run is not None else None
    if wrapped:
        return CurrentRunPublic(run=public).model_dump_json(exclude_unset=True).encode()
    return public.model_dump_json(exclude_unset=True).encode() if public is not None else b"null"


def run_document(run: RunState | None, urls: Urls = V2_URLS) -> dict[str, Any] | None:
    """The run answer as JSON data, for messages that embed it (the SSE snapshot)."""
    return run_public(run, urls).model_dump(mode="json", exclude_unset=True) if run is not None else None
